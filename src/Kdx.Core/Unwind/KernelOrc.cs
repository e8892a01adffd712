using System.Collections.Concurrent;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Unwind;

/// <summary>
/// The ORC unwind data of a crashed kernel: the kernel's table (from the vmlinux when there is one, else from the
/// dump's memory) and each module's (struct module arch.orc_unwind_ip / orc_unwind / num_orcs, read on first
/// use), with the entry layout of the kernel's own struct orc_entry. Starts unwinds from a CPU's saved
/// registers or from a sleeping task's switch frame.
/// </summary>
public sealed class KernelOrc
{
    private readonly KernelProgram _program;
    private readonly OrcTable? _kernel;
    private readonly ConcurrentDictionary<KernelModule, OrcTable?> _modules = new();
    private readonly OrcLayout? _layout;
    private readonly Lazy<DwarfCfi?> _cfi;

    private KernelOrc(KernelProgram program)
    {
        _program = program;
        _layout = OrcLayout.FromType(program.Types.FindType("orc_entry", TypeKind.Struct));
        _kernel = program.Vmlinux is { } vmlinux ? OrcTable.FromVmlinux(vmlinux, program.Symbols.Relocation, _layout) : null;
        _kernel ??= OrcTable.FromMemory(program, _layout);
        _cfi = new Lazy<DwarfCfi?>(() => program.Vmlinux?.FindSection(".debug_frame") is { HasContents: true } section
            ? new DwarfCfi(program.Vmlinux.ReadSectionBytes(section))
            : null);
    }

    /// <summary>The kernel's table, or null when the kernel has none (built without CONFIG_UNWINDER_ORC).</summary>
    public OrcTable? Kernel => _kernel;

    /// <summary>The unwind data of <paramref name="program"/> (made once per program).</summary>
    public static KernelOrc Of(KernelProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Derived(p => new KernelOrc(p));
    }

    /// <summary>The table that covers a code address: a module's when the address is in one, else the kernel's.</summary>
    public OrcTable? TableFor(ulong ip)
    {
        if (_program.ModuleAt(ip) is { } module)
        {
            return _modules.GetOrAdd(module, ModuleTable);
        }

        return _kernel;
    }

    /// <summary>An unwinder over this kernel's memory and tables.</summary>
    public OrcUnwinder Unwinder(Func<ulong, (ulong Start, ulong End)?>? stackOf = null) => new(_program.Kernel, TableFor, stackOf, CfiFor);

    /// <summary>The vmlinux's DWARF call-frame rules at a run-time kernel address (null without a vmlinux with .debug_frame).</summary>
    public CfiRow? CfiFor(ulong ip)
    {
        return _program.ModuleAt(ip) is null && _cfi.Value is { } cfi && cfi.TryFind(unchecked(ip - (ulong)_program.Symbols.Relocation), out var row) ? row : null;
    }

    /// <summary>
    /// Unwinds a task that is not running from its switch frame: thread.sp points at struct inactive_task_frame
    /// (arch/x86/include/asm/switch_to.h; r15 … bp, ret_addr), whose ret_addr is where __switch_to_asm returns.
    /// </summary>
    public UnwindResult UnwindSleeping(ulong task, int maxFrames = 512)
    {
        var t = KObject.FromAddress(_program, _program.Types.FindType("task_struct", TypeKind.Struct) ?? throw new KdxException("no struct task_struct type"), task);
        ulong sp = t["thread"]["sp"].ToUInt64();
        var frame = _program.Types.FindType("inactive_task_frame", TypeKind.Struct) ?? throw new KdxException("no struct inactive_task_frame type");
        var f = KObject.FromAddress(_program, frame, sp);
        return Unwinder().Unwind(f["ret_addr"].ToUInt64(), sp + frame.Size, f["bp"].ToUInt64(), maxFrames);
    }

    private OrcTable? ModuleTable(KernelModule module)
    {
        var type = _program.Types.FindType("module", TypeKind.Struct);
        if (type is null || !type.TryFindMember("arch", out _, out _))
        {
            return null;
        }

        var arch = KObject.FromAddress(_program, type, module.Address)["arch"];
        if (!arch.HasMember("num_orcs"))
        {
            return null;
        }

        uint count = (uint)arch["num_orcs"].ToUInt64();
        if (count == 0)
        {
            return null;
        }

        return OrcTable.Read(_program.Kernel, arch["orc_unwind_ip"].ToUInt64(), arch["orc_unwind"].ToUInt64(), (int)Math.Min(count, (uint)OrcTable.MaxEntries + 1), _layout, $"module {module.Name}'s ORC table");
    }
}
