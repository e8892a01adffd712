using System.Globalization;
using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// addresses.json of a run: the addresses that the <c>rd -64 ADDR 4</c>, <c>vtop ADDR</c> and
/// <c>ptov PADDR</c> references use, chosen once per crash (with drgn on the ELF dump) so that every
/// format of the crash can be compared with the others.
/// </summary>
public sealed class AddressList
{
    private AddressList(JsonElement r)
    {
        ChosenBy = TestBedRun.Str(r, "chosen_by");
        var meta = r.GetProperty("meta");
        PageOffsetBase = Hex(meta, "page_offset_base");
        VmallocBase = Hex(meta, "vmalloc_base");
        VmemmapBase = Hex(meta, "vmemmap_base");
        PgtableL5 = meta.GetProperty("pgtable_l5").GetBoolean();
        PerCpuOffsets = [.. meta.GetProperty("per_cpu_offset").EnumerateArray().Select(ParseHex)];
        Addresses =
        [
            .. r.GetProperty("addresses").EnumerateArray().Select(a => new TestBedAddress(
                TestBedRun.Str(a, "kind"), Hex(a, "addr"), TestBedRun.Str(a, "desc"), a.GetProperty("vtop").GetBoolean(),
                OptHex(a, "paddr"), OptBytes(a, "bytes"), a.GetProperty("in_elf").GetBoolean(),
                a.GetProperty("dumped_d31").GetBoolean(), a.GetProperty("dumped_d23").GetBoolean())),
        ];
        Physical =
        [
            .. r.GetProperty("ptov").EnumerateArray().Select(p => new TestBedPhysical(
                Hex(p, "paddr"), TestBedRun.Str(p, "desc"), Hex(p, "vaddr"), OptBytes(p, "bytes"))),
        ];
    }

    /// <summary>Which tool chose the addresses and produced paddr/bytes.</summary>
    public string ChosenBy { get; }

    /// <summary>page_offset_base (start of the direct map).</summary>
    public ulong PageOffsetBase { get; }

    /// <summary>vmalloc_base.</summary>
    public ulong VmallocBase { get; }

    /// <summary>vmemmap_base.</summary>
    public ulong VmemmapBase { get; }

    /// <summary>Whether the kernel ran with 5-level paging.</summary>
    public bool PgtableL5 { get; }

    /// <summary>__per_cpu_offset[cpu].</summary>
    public IReadOnlyList<ulong> PerCpuOffsets { get; }

    /// <summary>Virtual addresses (text, rodata, data, bss, module, directmap, vmalloc, vmemmap, percpu, excluded).</summary>
    public IReadOnlyList<TestBedAddress> Addresses { get; }

    /// <summary>Physical addresses used with ptov and rd -p.</summary>
    public IReadOnlyList<TestBedPhysical> Physical { get; }

    /// <summary>Reads an addresses.json.</summary>
    public static AddressList Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new AddressList(doc.RootElement.Clone());
    }

    /// <summary>The addresses of one kind.</summary>
    public IEnumerable<TestBedAddress> OfKind(string kind) => Addresses.Where(a => a.Kind == kind);

    internal static ulong ParseHex(JsonElement v) =>
        ulong.Parse(v.GetString()!.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static ulong Hex(JsonElement e, string name) => ParseHex(e.GetProperty(name));

    private static ulong? OptHex(JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.String ? ParseHex(e.GetProperty(name)) : null;

    private static byte[]? OptBytes(JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.String ? Convert.FromHexString(e.GetProperty(name).GetString()!) : null;
}

/// <summary>A virtual address of the references.</summary>
/// <param name="Kind">text, rodata, data, bss, module, directmap, vmalloc, vmemmap, percpu or excluded.</param>
/// <param name="Address">the virtual address (the command text uses "0x%x").</param>
/// <param name="Description">what is there.</param>
/// <param name="HasVtop">whether a <c>vtop</c> reference was taken too.</param>
/// <param name="PhysicalAddress">from a page-table walk of init_mm.pgd; null if unmapped.</param>
/// <param name="Bytes">32 bytes read there by drgn from the /proc/vmcore copy; null if unreadable.</param>
/// <param name="InElf">the page is in /proc/vmcore (the crashkernel region is not).</param>
/// <param name="DumpedD31">the page is in the makedumpfile -d 31 dumps.</param>
/// <param name="DumpedD23">the page is in the -d 23 dump.</param>
public sealed record TestBedAddress(
    string Kind, ulong Address, string Description, bool HasVtop, ulong? PhysicalAddress, byte[]? Bytes,
    bool InElf, bool DumpedD31, bool DumpedD23)
{
    /// <summary>The address as the reference commands spell it ("0x…").</summary>
    public string Hex => "0x" + Address.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>A physical address of the references.</summary>
/// <param name="Address">the physical address.</param>
/// <param name="Description">what is there.</param>
/// <param name="DirectMapAddress">page_offset_base + Address.</param>
/// <param name="Bytes">32 bytes there (drgn, /proc/vmcore copy); null if unreadable.</param>
public sealed record TestBedPhysical(ulong Address, string Description, ulong DirectMapAddress, byte[]? Bytes)
{
    /// <summary>The address as the reference commands spell it ("0x…").</summary>
    public string Hex => "0x" + Address.ToString("x", CultureInfo.InvariantCulture);
}
