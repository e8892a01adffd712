using Kdx.Core;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Model;
using Kdx.Core.Model.Expressions;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary>
/// Finding what a word of a type command names, as crash does: "task_struct" (a struct, union, enum or
/// typedef), "struct task_struct", "union rcu_special", "enum pid_type", "u64"; and which symbols are
/// per-CPU variables.
/// </summary>
public static class TypeLookup
{
    /// <summary>
    /// The type named by <paramref name="text"/> ("struct x", "union x", "enum x", a typedef or base type, or a
    /// bare tag name tried as struct, union, then enum), or null.
    /// </summary>
    public static KType? Find(IProgram program, string text)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Contains('*', StringComparison.Ordinal) || text.Contains('[', StringComparison.Ordinal))
        {
            try
            {
                return CExpression.ParseTypeName(program, text).Type;
            }
            catch (KdxException)
            {
                return null;
            }
        }

        foreach (var (keyword, kind) in Keywords)
        {
            if (text.StartsWith(keyword + " ", StringComparison.Ordinal))
            {
                return program.Types.FindType(text[(keyword.Length + 1)..].Trim(), kind);
            }
        }

        return program.Types.FindType(text, null)
            ?? program.Types.FindType(text, TypeKind.Struct)
            ?? program.Types.FindType(text, TypeKind.Union)
            ?? program.Types.FindType(text, TypeKind.Enum);
    }

    /// <summary>A struct, union or enum by tag name (<paramref name="kind"/> null: struct, then union, then enum).</summary>
    public static KType? FindTag(IProgram program, string name, TypeKind? kind)
    {
        ArgumentNullException.ThrowIfNull(program);
        return kind is { } k
            ? program.Types.FindType(name, k)
            : program.Types.FindType(name, TypeKind.Struct) ?? program.Types.FindType(name, TypeKind.Union) ?? program.Types.FindType(name, TypeKind.Enum);
    }

    /// <summary>Whether <paramref name="name"/> is a per-CPU variable (its symbol lies in the per-CPU section).</summary>
    public static bool IsPerCpu(IProgram program, string name)
    {
        ArgumentNullException.ThrowIfNull(program);
        var symbols = program.Symbols;
        return symbols.TryGetAddress(name, out ulong address)
            && symbols.TryGetAddress("__per_cpu_start", out ulong start)
            && symbols.TryGetAddress("__per_cpu_end", out ulong end)
            && address >= start && address < end;
    }

    /// <summary>
    /// Why <paramref name="name"/> has no type although it is a symbol: BTF (all there is without a vmlinux)
    /// describes the types and the per-CPU variables, not the other variables.
    /// </summary>
    public static string MissingVariableType(IProgram program, string name)
    {
        ArgumentNullException.ThrowIfNull(program);
        bool dwarf = program.Types.Sources.Any(s => s is DwarfTypeSource);
        return dwarf
            ? $"no debuginfo type for symbol {name}"
            : $"no type information for symbol {name}: BTF has the kernel's types but no variables except per-CPU ones (give a vmlinux with debuginfo)";
    }

    /// <summary>The symbols of <paramref name="program"/> whose name is <paramref name="word"/>, kernel or module.</summary>
    public static bool IsSymbol(IProgram program, string word)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (program.TryGetSymbolAddress(word, out _))
        {
            return true;
        }

        return program is KernelProgram k && k.TryGetSymbol(word, out _, out _);
    }

    private static readonly (string Keyword, TypeKind Kind)[] Keywords =
    [
        ("struct", TypeKind.Struct), ("union", TypeKind.Union), ("enum", TypeKind.Enum),
    ];
}
