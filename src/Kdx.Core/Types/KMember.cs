namespace Kdx.Core.Types;

/// <summary>A member of a struct or union.</summary>
/// <param name="Name">The member name, or null for an anonymous struct/union member.</param>
/// <param name="Type">The member's type.</param>
/// <param name="BitOffset">The offset from the start of the enclosing type, in bits.</param>
/// <param name="BitFieldSize">The width of a bit field in bits, or 0 when the member is not a bit field.</param>
public sealed record KMember(string? Name, QualifiedType Type, ulong BitOffset, int BitFieldSize = 0)
{
    /// <summary>The byte offset (the bit offset rounded down).</summary>
    public ulong Offset => BitOffset / 8;

    /// <summary>Whether the member is a bit field.</summary>
    public bool IsBitField => BitFieldSize != 0;
}

/// <summary>A named value of an enum.</summary>
/// <param name="Name">The enumerator name.</param>
/// <param name="Value">The value (as stored; read it as signed when the enum is signed).</param>
public sealed record KEnumerator(string Name, ulong Value)
{
    /// <summary>The value as a signed number.</summary>
    public long SignedValue => unchecked((long)Value);
}

/// <summary>A parameter of a function type.</summary>
/// <param name="Name">The parameter name, when known.</param>
/// <param name="Type">The parameter type.</param>
public sealed record KParameter(string? Name, QualifiedType Type);

/// <summary>Where a type, variable or function was declared (DWARF only; BTF has no line information).</summary>
/// <param name="File">The source file.</param>
/// <param name="Line">The line.</param>
public sealed record SourceLocation(string File, int Line);
