using Kdx.Core.Model;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// The x86-64 machine features crash names in its machine data (x86_64.c machdep flags), found the way the
/// kernel shows them: by its symbols and its address layout.
/// </summary>
public static class MachineFlags
{
    /// <summary>The features of the crashed kernel, in crash's order and spelling.</summary>
    public static IReadOnlyList<string> Of(KernelProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var symbols = program.Symbols;
        var flags = new List<string>();
        void If(bool present, string name)
        {
            if (present)
            {
                flags.Add(name);
            }
        }

        If(program.Layout.PagingLevels == 5, "VM_5LEVEL");
        If(true, "VMEMMAP"); // x86-64 has had a virtual mem_map (SPARSEMEM_VMEMMAP) since v2.6.24
        If(symbols.TryGetAddress("phys_base", out _), "PHYS_BASE");
        If(symbols.TryGetAddress("__sched_text_start", out ulong sched) && symbols.TryGetAddress("schedule", out ulong schedule) && sched == schedule, "SCHED_TEXT");
        If(symbols.TryGetAddress("__start_orc_unwind", out _) && symbols.TryGetAddress("orc_lookup", out _), "ORC");
        If(symbols.TryGetAddress("repeat_nmi", out _), "NESTED_NMI"); // v3.3 nested NMI handling in entry_64.S
        If(symbols.TryGetAddress("page_offset_base", out _) && symbols.TryGetAddress("vmalloc_base", out _), "RANDOMIZED"); // v4.8 CONFIG_RANDOMIZE_MEMORY
        If((symbols.TryGetAddress("pti_init", out _) || symbols.TryGetAddress("kaiser_init", out _)) && symbols.TryGetAddress("entry_stack_storage", out _), "KPTI"); // v4.15
        If(symbols.TryGetAddress("l1tf_mitigation", out _), "L1TF"); // v4.18.1
        return flags;
    }
}
