using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// The layout of a struct or union as crash's <c>struct -o</c> shows it: the members of the top level, with
/// anonymous structs and unions opened in place (their members are reachable by plain name), nested named
/// structs as one member. From drgn (<see cref="GroundTruth.Layouts"/>) or gdb (<see cref="GdbLayouts"/>).
/// </summary>
/// <param name="Name">"struct task_struct", "union sigval".</param>
/// <param name="Size">sizeof, or null when the type does not exist (<see cref="Error"/>).</param>
/// <param name="Members">the members in declaration order.</param>
/// <param name="Error">why there is no layout (the type does not exist in this kernel), or null.</param>
/// <param name="Text">gdb's ptype /o output (gdb layouts only).</param>
public sealed record TypeLayout(string Name, long? Size, IReadOnlyList<TypeMember> Members, string? Error, string? Text)
{
    internal static TypeLayout Parse(string name, JsonElement e) => new(
        name, JsonRead.Long(e, "size"), [.. JsonRead.Array(e, "members").Select(TypeMember.Parse)], JsonRead.Str(e, "error"),
        JsonRead.Str(e, "text"));

    /// <summary>The member called <paramref name="name"/>, or null.</summary>
    public TypeMember? Member(string name) => Members.FirstOrDefault(m => m.Name == name);
}

/// <summary>A member of a <see cref="TypeLayout"/>.</summary>
/// <param name="Name">the member name (null if gdb's declaration could not be split).</param>
/// <param name="Offset">byte offset from the start of the outermost type.</param>
/// <param name="Size">bytes (null for a flexible array).</param>
/// <param name="Type">the member's type as the tool spells it.</param>
/// <param name="BitPosition">for a bit field: bits from the start of the outermost type.</param>
/// <param name="BitSize">for a bit field: its width.</param>
public sealed record TypeMember(string? Name, long Offset, long? Size, string Type, long? BitPosition, int? BitSize)
{
    internal static TypeMember Parse(JsonElement e) => new(
        JsonRead.Str(e, "name"), JsonRead.Long(e, "offset")!.Value, JsonRead.Long(e, "size"), JsonRead.Str(e, "type") ?? "",
        JsonRead.Long(e, "bit_position"), JsonRead.Int(e, "bit_size"));
}

/// <summary><c>ref/truth/gdb-layouts.json</c>: the system gdb's <c>ptype /o</c> of the same types, parsed.</summary>
/// <param name="Tool">gdb's version line.</param>
/// <param name="Types">layouts by C name.</param>
public sealed record GdbLayouts(string Tool, IReadOnlyDictionary<string, TypeLayout> Types)
{
    /// <summary>Reads a gdb-layouts.json.</summary>
    public static GdbLayouts Load(string path)
    {
        var r = JsonRead.Load(path);
        var types = new Dictionary<string, TypeLayout>();
        foreach (var t in r.GetProperty("types").EnumerateObject())
        {
            types[t.Name] = TypeLayout.Parse(t.Name, t.Value);
        }

        return new GdbLayouts(JsonRead.Str(r, "tool") ?? "", types);
    }
}

/// <summary>
/// <c>ref/truth/symbols.json</c>: the addresses of the <c>sym ADDR</c> references of the types family and what
/// they are, from System.map relocated by VMCOREINFO's KERNELOFFSET and from the modules' kallsyms.
/// </summary>
/// <param name="KernelOffset">KERNELOFFSET.</param>
/// <param name="Addresses">every address, in the order of the sym commands.</param>
public sealed record SymbolTruth(ulong KernelOffset, IReadOnlyList<TruthSymbolAddress> Addresses)
{
    /// <summary>Reads a symbols.json.</summary>
    public static SymbolTruth Load(string path)
    {
        var r = JsonRead.Load(path);
        return new SymbolTruth(JsonRead.Hex(r, "kernel_offset") ?? 0, [.. JsonRead.Array(r, "addresses").Select(TruthSymbolAddress.Parse)]);
    }
}

/// <summary>An address of the sym references.</summary>
/// <param name="Kind">text, data, percpu, module, addresses (from addresses.json) or bogus (no symbol).</param>
/// <param name="Address">the address ("sym 0x…").</param>
/// <param name="Why">how it was picked.</param>
/// <param name="SystemMap">the System.map answer (kernel image addresses), or null.</param>
/// <param name="Module">the module kallsyms answer (module addresses), or null.</param>
public sealed record TruthSymbolAddress(string Kind, ulong Address, string Why, SymbolAnswer? SystemMap, SymbolAnswer? Module)
{
    internal static TruthSymbolAddress Parse(JsonElement e) => new(
        JsonRead.Req(e, "kind"), JsonRead.Hex(e, "addr")!.Value, JsonRead.Str(e, "why") ?? "",
        JsonRead.Has(e, "system_map", out var s) ? SymbolAnswer.Parse(s) : null,
        JsonRead.Has(e, "module", out var m) ? SymbolAnswer.Parse(m) : null);
}

/// <summary>What an address is.</summary>
/// <param name="Name">the symbol at or below it.</param>
/// <param name="Offset">address - symbol.</param>
/// <param name="Type">its type letter.</param>
/// <param name="SymbolAddress">the symbol's address.</param>
/// <param name="Aliases">other symbols at the same address.</param>
/// <param name="ModuleName">for module symbols: the module.</param>
public sealed record SymbolAnswer(string Name, long Offset, string Type, ulong SymbolAddress, IReadOnlyList<string> Aliases, string? ModuleName)
{
    internal static SymbolAnswer Parse(JsonElement e) => new(
        JsonRead.Req(e, "name"), JsonRead.Long(e, "offset") ?? 0, JsonRead.Str(e, "type") ?? "?", JsonRead.Hex(e, "address") ?? 0,
        JsonRead.Strings(e, "aliases"), JsonRead.Str(e, "module"));
}

/// <summary>
/// <c>ref/truth/gdb-commands.json</c>: the system gdb's answers to the types family's <c>whatis</c> and <c>ptype</c>
/// commands, from the vmlinux (commands naming vmlab: from vmlab.ko), without a core: the truth where crash's gdb
/// dies (every type on 6.12). gdb prints "type = …" where crash prints the bare declaration.
/// </summary>
/// <param name="Tool">gdb's version line.</param>
/// <param name="Outputs">command ("whatis jiffies") to gdb's output.</param>
public sealed record GdbCommands(string Tool, IReadOnlyDictionary<string, string> Outputs)
{
    /// <summary>Reads a gdb-commands.json.</summary>
    public static GdbCommands Load(string path)
    {
        var r = JsonRead.Load(path);
        var outputs = new Dictionary<string, string>();
        foreach (var c in JsonRead.Array(r, "commands"))
        {
            outputs[JsonRead.Req(c, "cmd")] = JsonRead.Str(c, "output") ?? "";
        }

        return new GdbCommands(JsonRead.Str(r, "tool") ?? "", outputs);
    }

    /// <summary>gdb's output for <paramref name="cmd"/>, or null when it is not in the file.</summary>
    public string? Output(string cmd) => Outputs.TryGetValue(cmd, out var o) ? o : null;
}
