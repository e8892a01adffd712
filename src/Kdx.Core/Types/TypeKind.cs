namespace Kdx.Core.Types;

/// <summary>What kind of C type a <see cref="KType"/> is.</summary>
public enum TypeKind : byte
{
    /// <summary><c>void</c>.</summary>
    Void,

    /// <summary>An integer type (char, short, int, long, long long; signed or unsigned).</summary>
    Int,

    /// <summary><c>_Bool</c>.</summary>
    Bool,

    /// <summary>A floating-point type.</summary>
    Float,

    /// <summary>A structure.</summary>
    Struct,

    /// <summary>A union.</summary>
    Union,

    /// <summary>An enumeration.</summary>
    Enum,

    /// <summary>A typedef: a name for another type.</summary>
    Typedef,

    /// <summary>A pointer.</summary>
    Pointer,

    /// <summary>An array (with a length, or incomplete/flexible).</summary>
    Array,

    /// <summary>A function type.</summary>
    Function,
}

/// <summary>C type qualifiers.</summary>
[Flags]
public enum Qualifiers : byte
{
    /// <summary>No qualifier.</summary>
    None = 0,

    /// <summary><c>const</c>.</summary>
    Const = 1,

    /// <summary><c>volatile</c>.</summary>
    Volatile = 2,

    /// <summary><c>restrict</c>.</summary>
    Restrict = 4,

    /// <summary><c>_Atomic</c>.</summary>
    Atomic = 8,
}
