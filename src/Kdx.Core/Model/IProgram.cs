using Kdx.Core.Memory;
using Kdx.Core.Symbols;
using Kdx.Core.Types;

namespace Kdx.Core.Model;

/// <summary>
/// What the object model needs from a program: kernel memory, types, symbols and per-CPU offsets.
/// <see cref="KernelProgram"/> is the real one; tests and scripts may supply their own.
/// </summary>
public interface IProgram
{
    /// <summary>The kernel's virtual memory.</summary>
    IMemoryReader Memory { get; }

    /// <summary>The types, asked in order.</summary>
    TypeCollection Types { get; }

    /// <summary>Symbols at their run-time addresses.</summary>
    SymbolTable Symbols { get; }

    /// <summary>The number of possible CPUs (for per-CPU variables).</summary>
    int CpuCount { get; }

    /// <summary>The address of per-CPU variable <paramref name="address"/> on <paramref name="cpu"/>.</summary>
    ulong PerCpuAddress(ulong address, int cpu);

    /// <summary>
    /// A symbol's run-time address by name: the kernel's, and where the program knows its modules, a module's.
    /// Expressions resolve names through this.
    /// </summary>
    bool TryGetSymbolAddress(string name, out ulong address) => Symbols.TryGetAddress(name, out address);
}
