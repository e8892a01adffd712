namespace Kdx.Core.Types;

/// <summary>A type with its qualifiers (<c>const char</c> is <c>char</c> + Const), as drgn models them.</summary>
/// <param name="Type">The type.</param>
/// <param name="Qualifiers">Its qualifiers.</param>
public readonly record struct QualifiedType(KType Type, Qualifiers Qualifiers = Qualifiers.None)
{
    /// <summary>An unqualified type.</summary>
    public static implicit operator QualifiedType(KType type) => new(type);

    /// <inheritdoc/>
    public override string ToString() => TypeNames.Declaration(this, string.Empty);
}
