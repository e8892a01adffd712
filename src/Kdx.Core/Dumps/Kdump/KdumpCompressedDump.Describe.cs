using System.Buffers.Binary;
using System.Globalization;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Dumps.Flattened;
using Kdx.Core.Elf;

namespace Kdx.Core.Dumps.Kdump;

/// <content>The header fields for <c>help -D</c>, named and formatted as crash's help -D prints them (crash diskdump.c: __diskdump_memory_dump).</content>
public sealed partial class KdumpCompressedDump
{
    private const uint NtVmcoreDd = 0x700; // include/uapi/linux/elf.h: NT_VMCOREDD, device dumps (Linux v4.18)

    /// <inheritdoc/>
    public override DumpDescription Describe()
    {
        var root = new DumpDescription(FormatName);
        for (int i = 0; i < _parts.Length; i++)
        {
            var node = _parts.Length == 1 ? root : root.Section($"file {i}");
            DescribePart(node, _parts[i]);
        }

        return root;
    }

    private static string Dec(ulong v) => $"{v} (0x{v:x})";

    private static string Dec(long v) => $"{v} (0x{v:x})";

    private static void DescribeFlattened(DumpDescription parent, FlattenedSource flat)
    {
        var s = parent.Section("makedumpfile header");
        s.Add("signature", "\"makedumpfile\"");
        s.Add("type", FlattenedSource.FlatHeaderType.ToString("x", CultureInfo.InvariantCulture));
        s.Add("version", FlattenedSource.FlatHeaderVersion.ToString("x", CultureInfo.InvariantCulture));
        s.Add("num_array", flat.RecordCount.ToString(CultureInfo.InvariantCulture));
        s.Add("file_size", flat.Length.ToString(CultureInfo.InvariantCulture));
        s.Add("end_marker", flat.EndMarkerOffset >= 0 ? $"at offset {flat.EndMarkerOffset}" : $"missing (stream cut short at offset {flat.TruncatedAt})");
    }

    private static void DescribePart(DumpDescription node, KdumpPart part)
    {
        if (part.Source is FlattenedSource flat)
        {
            DescribeFlattened(node, flat);
        }

        node.Add("filename", part.Name);
        var h = part.Header;
        var dh = node.Section("header");
        dh.Add("signature", $"\"{h.Signature}\"");
        dh.Add("header_version", h.HeaderVersion.ToString(CultureInfo.InvariantCulture));
        var uts = dh.Section("utsname");
        uts.Add("sysname", h.Utsname.Sysname);
        uts.Add("nodename", h.Utsname.Nodename);
        uts.Add("release", h.Utsname.Release);
        uts.Add("version", h.Utsname.Version);
        uts.Add("machine", h.Utsname.Machine);
        uts.Add("domainname", h.Utsname.Domainname);
        var ts = dh.Section("timestamp");
        ts.Add("tv_sec", h.TimestampSeconds.ToString("x", CultureInfo.InvariantCulture));
        ts.Add("tv_usec", h.TimestampMicroseconds.ToString("x", CultureInfo.InvariantCulture));
        dh.Add("status", $"{(uint)h.Status:x} ({(h.IsDiskDump ? DiskDumpStatus(h.Status) : KdumpFormat.Describe(h.Status))})");
        dh.Add("block_size", h.BlockSize.ToString(CultureInfo.InvariantCulture));
        dh.Add("sub_hdr_size", h.SubHeaderBlocks.ToString(CultureInfo.InvariantCulture));
        dh.Add("bitmap_blocks", h.BitmapBlocks.ToString(CultureInfo.InvariantCulture));
        dh.Add("max_mapnr", h.MaxMapnr.ToString(CultureInfo.InvariantCulture));
        dh.Add("total_ram_blocks", h.TotalRamBlocks.ToString(CultureInfo.InvariantCulture));
        dh.Add("device_blocks", h.DeviceBlocks.ToString(CultureInfo.InvariantCulture));
        dh.Add("written_blocks", h.WrittenBlocks.ToString(CultureInfo.InvariantCulture));
        dh.Add("current_cpu", h.CurrentCpu.ToString(CultureInfo.InvariantCulture));
        dh.Add("nr_cpus", h.NrCpus.ToString(CultureInfo.InvariantCulture));
        dh.Add("tasks[nr_cpus]", string.Join(", ", Tasks(part).Select(t => t.ToString("x", CultureInfo.InvariantCulture))));
        if (!h.IsDiskDump && h.HeaderVersion >= 1)
        {
            DescribeSubHeader(node.Section("sub_header_kdump"), part);
        }

        node.Add("data_offset", part.DescriptorsOffset.ToString("x", CultureInfo.InvariantCulture));
        node.Add("block_size", h.BlockSize.ToString(CultureInfo.InvariantCulture));
        node.Add("block_shift", System.Numerics.BitOperations.TrailingZeroCount(h.BlockSize).ToString(CultureInfo.InvariantCulture));
        node.Add("bitmap_len", ((long)h.BitmapBlocks * h.BlockSize).ToString(CultureInfo.InvariantCulture));
        node.Add("max_mapnr", Dec(part.MaxMapnr));
        node.Add("total_valid_pages", (part.Dumpable.Rank(part.EndPfn) - part.Dumpable.Rank(part.StartPfn)).ToString(CultureInfo.InvariantCulture));
    }

    private static void DescribeSubHeader(DumpDescription s, KdumpPart part)
    {
        var k = part.SubHeader;
        int version = part.Header.HeaderVersion;
        s.Add("phys_base", k.PhysBase.ToString("x", CultureInfo.InvariantCulture));
        string names = CrashDumpLevelNames(k.DumpLevel);
        s.Add("dump_level", k.DumpLevel == 0 ? "0 (0x0)" : $"{k.DumpLevel} (0x{k.DumpLevel:x}) ({names})");
        if (version >= 2)
        {
            s.Add("split", k.Split.ToString(CultureInfo.InvariantCulture));
            s.Add("start_pfn", part.IsSplit ? Dec(k.StartPfn) : "(unused)");
            s.Add("end_pfn", part.IsSplit ? Dec(k.EndPfn) : "(unused)");
        }

        if (version >= 3)
        {
            s.Add("offset_vmcoreinfo", Dec(k.OffsetVmcoreinfo));
            s.Add("size_vmcoreinfo", Dec(k.SizeVmcoreinfo));
            if (part.VmcoreInfo is { } info && k.OffsetVmcoreinfo != 0 && k.SizeVmcoreinfo != 0)
            {
                var text = s.Section("vmcoreinfo");
                foreach (var line in info.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = line.IndexOf('=', StringComparison.Ordinal);
                    text.Add(eq > 0 ? line[..eq] : line, eq > 0 ? line[(eq + 1)..] : string.Empty);
                }
            }
        }

        if (version >= 4)
        {
            s.Add("offset_note", Dec(k.OffsetNote));
            s.Add("size_note", Dec(k.SizeNote));
            s.Add("num_vmcoredd_notes", part.Notes.Count(n => n.Type == NtVmcoreDd).ToString(CultureInfo.InvariantCulture));
            var prstatus = part.Notes.Where(n => n.Type == ElfNotes.NtPrStatus && n.Name == "CORE").ToList();
            s.Add("num_prstatus_notes", prstatus.Count.ToString(CultureInfo.InvariantCulture));
            var cpus = PrStatus.FromNotes(prstatus);
            for (int i = 0; i < prstatus.Count; i++)
            {
                var note = s.Section($"notes[{i}]");
                note.Add("type", "NT_PRSTATUS");
                note.Add("offset", prstatus[i].FileOffset.ToString("x", CultureInfo.InvariantCulture));
                if (i < cpus.Count && cpus[i].Registers is { } regs)
                {
                    note.Add("pid", cpus[i].Pid?.ToString(CultureInfo.InvariantCulture));
                    for (int r = 0; r < X86_64Registers.Names.Count; r++)
                    {
                        note.Add(X86_64Registers.Names[r].ToUpperInvariant(), regs.Values[r].ToString("x16", CultureInfo.InvariantCulture));
                    }
                }
            }

            s.Add("num_qemu_notes", part.Notes.Count(n => n.Name == "QEMU").ToString(CultureInfo.InvariantCulture));
            s.Add("NOTE offsets", string.Join(", ", part.Notes.Select(n => $"{n.FileOffset:x} ({NoteTypeName(n)})")));
        }

        if (version >= 5)
        {
            s.Add("offset_eraseinfo", Dec(k.OffsetEraseinfo));
            s.Add("size_eraseinfo", Dec(k.SizeEraseinfo));
        }

        if (version >= 6)
        {
            s.Add("start_pfn_64", part.IsSplit ? Dec(k.StartPfn64) : "(unused)");
            s.Add("end_pfn_64", part.IsSplit ? Dec(k.EndPfn64) : "(unused)");
            s.Add("max_mapnr_64", Dec(k.MaxMapnr64));
        }
    }

    // The tasks[] tail of disk_dump_header: one task pointer per CPU in diskdump, zeros from makedumpfile.
    private static ulong[] Tasks(KdumpPart part)
    {
        int count = Math.Min(part.Header.NrCpus, (part.Header.BlockSize - KdumpFormat.HeaderSize) / 8);
        var bytes = new byte[Math.Max(0, count) * 8];
        int n = part.Source.Read(KdumpFormat.HeaderSize, bytes);
        return Enumerable.Range(0, n / 8).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 8))).ToArray();
    }

    private static string NoteTypeName(ElfNote note) => note switch
    {
        { Name: "CORE", Type: ElfNotes.NtPrStatus } => "NT_PRSTATUS",
        { Name: "VMCOREINFO" } => "VMCOREINFO",
        { Name: "QEMU" } => "QEMUCPUState",
        { Type: NtVmcoreDd } => "NT_VMCOREDD",
        _ => $"{note.Name} type {note.Type}",
    };

    // crash prints the makedumpfile DL_EXCLUDE_* bits with these names.
    private static string CrashDumpLevelNames(int level)
    {
        string[] names = ["DUMP_EXCLUDE_ZERO", "DUMP_EXCLUDE_CACHE", "DUMP_EXCLUDE_CACHE_PRI", "DUMP_EXCLUDE_USER_DATA", "DUMP_EXCLUDE_FREE"];
        return string.Join('|', names.Where((_, i) => (level & (1 << i)) != 0));
    }

    // diskdump_mod.h: the old diskdump's status values.
    private static string DiskDumpStatus(KdumpFlags status) => (uint)status switch
    {
        0 => "DUMP_HEADER_COMPLETED",
        1 => "DUMP_HEADER_INCOMPLETED",
        8 => "DUMP_HEADER_COMPRESSED",
        _ => string.Empty,
    };
}
