using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;
using Kdx.Core.Model.Expressions;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary><c>ptype</c>: gdb's "type = ..." for a type name or the type of an expression.</summary>
public sealed class PtypeCommand : Command
{
    /// <inheritdoc/>
    public override string Name => "ptype";

    /// <inheritdoc/>
    public override string Summary => "print the type of a type name or expression";

    /// <inheritdoc/>
    public override string Usage => "ptype type-name | expression";

    /// <inheritdoc/>
    public override string Help => """
        Prints a type as gdb's ptype does: a structure or union with its members spelled out, an enum
        with its values on one line, a typedef resolved one level. An expression gives the type of its
        value, with a pointer's or array's declarator after the structure it refers to.

        Examples:
          kdx> ptype struct list_head
          kdx> ptype u64
          kdx> ptype init_task.se
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        string text = string.Join(' ', args).Trim();
        if (text.Length == 0)
        {
            throw new CommandException("ptype: a type or an expression is needed");
        }

        var program = context.Session.Program;
        string keyword = text.Split(' ')[0];
        if (keyword is "struct" or "union" or "enum" && !text.Contains('*', StringComparison.Ordinal) && TypeLookup.Find(program, text) is null)
        {
            throw new CommandException($"ptype: no {keyword} named {text[keyword.Length..].Trim()}");
        }

        QualifiedType type;
        if (!TypeLookup.IsSymbol(program, text.Split('.', '-', '[', ' ')[0]) && TypeLookup.Find(program, text) is { } named)
        {
            // A typedef's name shows what it stands for.
            type = named.Kind == TypeKind.Typedef ? WhatisCommand.Unaliased(named) : named;
        }
        else if (TypeLookup.IsSymbol(program, text) && program.Types.FindVariableType(text) is null && program.Types.FindFunctionType(text) is { } fn)
        {
            type = fn;
        }
        else
        {
            type = CExpression.Evaluate(program, text).Type;
        }

        foreach (var line in Lines(type))
        {
            context.WriteLine(line);
        }
    }

    /// <summary>ptype's lines for <paramref name="type"/>: "type = ..." and a structure's body.</summary>
    public static List<string> Lines(QualifiedType type)
    {
        // gdb's ptype looks through the typedefs of the type itself (not of what it points to).
        type = WhatisCommand.Unaliased(type);
        var t = type.Type;
        var u = t.Unaliased();
        if (t.Kind != TypeKind.Typedef && u.IsCompound)
        {
            var body = GdbTypeText.Definition(u, false);
            body[0] = "type = " + QualifierPrefix(type) + body[0];
            return body;
        }

        var core = t;
        int guard = 0;
        while (core.Kind is TypeKind.Pointer or TypeKind.Array && guard++ < 16)
        {
            core = core.Target!.Value.Type;
        }

        if (core != t && core.Kind != TypeKind.Typedef && core.IsCompound)
        {
            string declarator = GdbTypeText.Declaration(type, string.Empty);
            string head = TypeNames.BaseName(core);
            string suffix = declarator.StartsWith(head, StringComparison.Ordinal) ? declarator[head.Length..] : string.Empty;
            var body = GdbTypeText.Definition(core, false);
            body[0] = "type = " + body[0];
            body[^1] += suffix;
            return body;
        }

        if (u.Kind == TypeKind.Enum && t.Kind != TypeKind.Typedef)
        {
            return ["type = " + GdbTypeText.EnumLine(u)];
        }

        if (ResolvedReturn(type) is { } function)
        {
            return ["type = " + function];
        }

        return ["type = " + GdbTypeText.Declaration(type, string.Empty)];
    }

    // gdb's ptype of a function or a function pointer resolves the return type's typedefs all the way
    // ("long (struct file *, ...)" for ssize_t) and spells out an enum it ends at; parameters keep their names.
    private static string? ResolvedReturn(QualifiedType type)
    {
        var t = type.Type;
        bool pointer = t.Kind == TypeKind.Pointer && t.Target!.Value.Type.Unaliased().Kind == TypeKind.Function;
        var f = pointer ? t.Target!.Value.Type.Unaliased() : t;
        if (f.Kind != TypeKind.Function || f.Target is not { } returns)
        {
            return null;
        }

        var resolved = WhatisCommand.Unaliased(returns);
        var fn = KType.Function(() => resolved, () => f.Parameters, f.IsVariadic);
        string text = GdbTypeText.Declaration(pointer ? KType.Pointer(fn) : fn, string.Empty);
        if (resolved.Type.Kind == TypeKind.Enum && resolved.Type.Name is { } name && text.StartsWith("enum " + name, StringComparison.Ordinal))
        {
            text = GdbTypeText.EnumLine(resolved.Type) + text[("enum " + name).Length..];
        }

        return text;
    }

    private static string QualifierPrefix(QualifiedType type)
    {
        string q = TypeNames.QualifierWords(type.Qualifiers);
        return q.Length > 0 ? q + " " : string.Empty;
    }
}
