namespace Kdx.Core.Types;

/// <summary>
/// Where types, variables and functions of the kernel come from: the DWARF of a vmlinux or module,
/// or BTF (from a file or from the dump's memory). A program asks its sources in order.
/// Implementations index lazily and are safe for concurrent lookups.
/// </summary>
public interface ITypeSource
{
    /// <summary>A short name for messages: "DWARF (vmlinux-6.1.0-56)", "BTF (dump)".</summary>
    string Description { get; }

    /// <summary>
    /// Finds a named type. <paramref name="kind"/> selects the namespace: Struct, Union and Enum are
    /// tag names ("struct list_head" → Struct + "list_head"); null finds base types and typedefs.
    /// </summary>
    KType? FindType(string name, TypeKind? kind = null);

    /// <summary>Finds a global or static variable's type (its address comes from the symbol table).</summary>
    QualifiedType? FindVariableType(string name);

    /// <summary>Finds a function's type.</summary>
    KType? FindFunctionType(string name);

    /// <summary>Every type name of a kind (for completion and <c>whatis</c> searches); may be slow.</summary>
    IEnumerable<string> TypeNames(TypeKind kind);

    /// <summary>
    /// The enum (named or not) that has an enumerator called <paramref name="name"/>, for C expressions that use
    /// the constant (PIDTYPE_TGID); null when this source does not know it (the default: a source without an
    /// index of enumerators).
    /// </summary>
    KType? FindEnumeratorType(string name) => null;
}
