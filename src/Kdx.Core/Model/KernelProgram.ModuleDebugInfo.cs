using Kdx.Core.Linux.Modules;
using Kdx.Core.Types;

namespace Kdx.Core.Model;

/// <summary>Module object files loaded on request (crash's <c>mod -s</c>): their DWARF joins the types and gives line numbers.</summary>
public sealed partial class KernelProgram
{
    private readonly Dictionary<KernelModule, ModuleDebugInfo> _moduleDebugInfo = [];

    /// <summary>The module object files loaded so far, in no particular order.</summary>
    public IReadOnlyCollection<ModuleDebugInfo> LoadedModuleDebugInfo => _moduleDebugInfo.Values;

    /// <summary>The object file loaded for <paramref name="module"/>, or null.</summary>
    public ModuleDebugInfo? DebugInfoOf(KernelModule module) => _moduleDebugInfo.GetValueOrDefault(module);

    /// <summary>
    /// Loads <paramref name="path"/> (the module's .ko, with or without DWARF) for <paramref name="module"/>,
    /// replacing one loaded before. Its sections are placed where the kernel put them (the module's
    /// section attributes); its DWARF is asked for types right after the vmlinux's (before BTF).
    /// </summary>
    public ModuleDebugInfo LoadModuleDebugInfo(KernelModule module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        var warnings = new List<string>();
        var sections = ModuleSections.Read(this, module, warnings);
        if (sections.Count == 0)
        {
            throw new KdxException($"cannot load {path}: {string.Join("; ", warnings)}");
        }

        var info = ModuleDebugInfo.Open(module, path, sections, Dump.Options.Limits);
        UnloadModuleDebugInfo(module);
        _moduleDebugInfo[module] = info;
        if (info.Dwarf is { } dwarf)
        {
            Types.Insert(Dwarf is not null && Types.Sources.Count > 0 && ReferenceEquals(Types.Sources[0], Dwarf) ? 1 : 0, dwarf);
        }

        return info;
    }

    /// <summary>Forgets the object file loaded for <paramref name="module"/> (crash's <c>mod -d</c>); false when none was.</summary>
    public bool UnloadModuleDebugInfo(KernelModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!_moduleDebugInfo.Remove(module, out var info))
        {
            return false;
        }

        if (info.Dwarf is { } dwarf)
        {
            Types.Remove(dwarf);
        }

        info.Dispose();
        return true;
    }

    /// <summary>
    /// The source file and line of the code at run-time <paramref name="address"/>: from a loaded module
    /// object file when the address is in that module, else from the vmlinux's DWARF (at the link-time
    /// address). False without DWARF for the address.
    /// </summary>
    public bool TryFindLine(ulong address, out SourceLocation location)
    {
        location = null!;
        if (ModuleAt(address) is { } module)
        {
            return DebugInfoOf(module)?.Dwarf is { } moduleDwarf && moduleDwarf.TryFindLine(address, out location);
        }

        return Dwarf is not null && Dwarf.TryFindLine(unchecked(address - (ulong)Symbols.Relocation), out location);
    }

    private void DisposeModuleDebugInfo()
    {
        foreach (var info in _moduleDebugInfo.Values)
        {
            info.Dispose();
        }

        _moduleDebugInfo.Clear();
    }
}
