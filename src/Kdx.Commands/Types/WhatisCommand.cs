using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary>
/// <c>whatis</c>: what a name is, as crash says it: a struct, union or enum's definition (with its
/// size), a typedef ("typedef unsigned long long u64;"), a variable's or a function's declaration.
/// </summary>
public sealed class WhatisCommand : Command
{
    // crash 8.0.2's synopsis (its usage block follows "cannot resolve"), with -r and -m that Kdx does not have.
    private const string Synopsis = "whatis [[-o] [struct | union | typedef | symbol]] | \n         [[-r [size|range]] [-m member]]";
    private static readonly OptionParser Options = new("whatis", "o");

    /// <inheritdoc/>
    public override string Name => "whatis";

    /// <inheritdoc/>
    public override string Summary => "say what a type, variable or function is";

    /// <inheritdoc/>
    public override string Usage => "whatis [-o] [struct | union | enum | typedef | symbol]";

    /// <inheritdoc/>
    public override string Help => """
        Says what a name is. A structure, union or enum (with or without its keyword) is shown as
        its definition and size; -o adds member offsets as struct -o does. A typedef shows what it
        names and its size. A variable or a function shows its C declaration.

        Without a vmlinux, types come from BTF, which has functions and per-CPU variables but no
        other variables.

        Examples:
          kdx> whatis task_struct
          kdx> whatis u64
          kdx> whatis jiffies
          kdx> whatis do_exit
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = Options.Parse(args);
        string name = string.Join(' ', options.Positionals).Trim();
        if (name.Length == 0)
        {
            throw new CommandException("whatis: a name is needed: " + Usage);
        }

        foreach (var line in Describe(context.Session.Program, name, options.Has("o")))
        {
            context.WriteLine(line);
        }
    }

    /// <summary>What <c>whatis NAME</c> prints, or a <see cref="CommandException"/> when nothing has that name.</summary>
    public static List<string> Describe(IProgram program, string name, bool offsets)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(name);
        bool keyword = name.StartsWith("struct ", StringComparison.Ordinal) || name.StartsWith("union ", StringComparison.Ordinal) || name.StartsWith("enum ", StringComparison.Ordinal);
        if (keyword || !TypeLookup.IsSymbol(program, name))
        {
            // Types first, as crash: a symbol is only looked at when no type has the name.
            if (TypeLookup.Find(program, name) is { } type)
            {
                return DescribeType(Pointee(type), offsets);
            }

            // crash answers for an enumerator with its enum and value ("enum pid_type = 1").
            if (!keyword && program.Types.TryFindEnumerator(name, out var enumType, out var enumerator))
            {
                string value = enumType.IsSigned ? enumerator.SignedValue.ToString(CultureInfo.InvariantCulture) : enumerator.Value.ToString(CultureInfo.InvariantCulture);
                return [$"enum {enumType.Name ?? "{...}"} = {value}"];
            }

            throw new CommandException($"whatis: cannot resolve: {name}") { Synopsis = Synopsis };
        }

        if (program.Types.FindVariableType(name) is { } variable)
        {
            // An array declared without a length ("extern const char linux_banner[];") gets it from the
            // symbol's size, as crash prints it ("const char linux_banner[204];").
            var u = variable.Type.Unaliased();
            if (u.Kind == TypeKind.Array && u.Length is null && program.Symbols.TryGetSymbol(name, out var symbol) && symbol.Size > 0
                && u.Target!.Value.Type.Unaliased().Size is ulong element and > 0 && symbol.Size % element == 0)
            {
                variable = new QualifiedType(KType.Array(u.Target!.Value, symbol.Size / element), variable.Qualifiers);
            }

            return [GdbTypeText.Declaration(variable, name) + ";"];
        }

        if (program.Types.FindFunctionType(name) is { } function)
        {
            return [GdbTypeText.Declaration(function, name) + ";"];
        }

        throw new CommandException("whatis: " + TypeLookup.MissingVariableType(program, name));
    }

    // crash answers "whatis struct list_head *" with the structure itself.
    private static KType Pointee(KType type)
    {
        for (int guard = 0; type.Kind is TypeKind.Pointer or TypeKind.Array && guard < 16; guard++)
        {
            type = type.Target!.Value.Type;
        }

        return type;
    }

    /// <summary>The type under every typedef, keeping the qualifiers met on the way.</summary>
    public static QualifiedType Unaliased(QualifiedType type)
    {
        var q = type.Qualifiers;
        var t = type.Type;
        for (int guard = 0; t.Kind == TypeKind.Typedef && guard < 64; guard++)
        {
            q |= t.Target!.Value.Qualifiers;
            t = t.Target!.Value.Type;
        }

        return new QualifiedType(t, q);
    }

    /// <summary>
    /// A typedef of a function pointer as crash prints it: gdb's abstract declarator with the return type
    /// resolved ("typedef void (*)(struct work_struct *) work_func_t;"); when the resolved return type is an
    /// enum gdb spells it out and crash prints that line alone, without the name.
    /// </summary>
    private static string? FunctionPointerTypedef(KType typedef)
    {
        var target = Unaliased(typedef.Target!.Value);
        if (target.Type.Kind != TypeKind.Pointer || target.Type.Target!.Value.Type.Unaliased().Kind != TypeKind.Function)
        {
            return null;
        }

        string text = PtypeCommand.Lines(target)[0]["type = ".Length..];
        return text.Contains('{', StringComparison.Ordinal) ? "typedef " + text : "typedef " + text + " " + typedef.Name + ";";
    }

    /// <summary>A type as whatis shows it.</summary>
    public static List<string> DescribeType(KType type, bool offsets)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (GdbTypeText.TypedefDefinition(type, offsets) is { } body)
        {
            // crash spells out the struct a typedef names ("typedef struct {...} atomic_t;" in full).
            body.Add(string.Create(CultureInfo.InvariantCulture, $"SIZE: {type.Unaliased().Size}"));
            return body;
        }

        if (type.Kind == TypeKind.Typedef && FunctionPointerTypedef(type) is { } line)
        {
            return [line, string.Create(CultureInfo.InvariantCulture, $"SIZE: {type.Unaliased().Size}")];
        }

        if (type.Kind == TypeKind.Typedef)
        {
            return
            [
                // crash names what the typedef finally stands for ("typedef int pid_t;", not __kernel_pid_t).
                "typedef " + GdbTypeText.Declaration(Unaliased(type.Target!.Value), type.Name ?? string.Empty) + ";",
                string.Create(CultureInfo.InvariantCulture, $"SIZE: {type.Unaliased().Size}"),
            ];
        }

        if (type.Kind == TypeKind.Enum)
        {
            // crash lists an enum's values one a line.
            var lines = new List<string> { TypeNames.BaseName(type) + " {" };
            foreach (var e in type.Enumerators)
            {
                lines.Add($"  {e.Name} = " + (type.IsSigned ? e.SignedValue.ToString(CultureInfo.InvariantCulture) : e.Value.ToString(CultureInfo.InvariantCulture)));
            }

            lines.Add("};");
            return lines;
        }

        if (type.IsCompound)
        {
            var lines = GdbTypeText.Definition(type, offsets);
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"SIZE: {type.Size}"));
            return lines;
        }

        return
        [
            GdbTypeText.Declaration(type, string.Empty) + ";",
            string.Create(CultureInfo.InvariantCulture, $"SIZE: {type.Size}"),
        ];
    }
}
