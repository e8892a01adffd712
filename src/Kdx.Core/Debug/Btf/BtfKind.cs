namespace Kdx.Core.Debug.Btf;

/// <summary>The kind of a BTF type record (include/uapi/linux/btf.h, BTF_KIND_*).</summary>
public enum BtfKind : byte
{
    /// <summary>BTF_KIND_UNKN: only type id 0, void.</summary>
    Void = 0,

    /// <summary>BTF_KIND_INT: an integer, char or _Bool.</summary>
    Int = 1,

    /// <summary>BTF_KIND_PTR.</summary>
    Pointer = 2,

    /// <summary>BTF_KIND_ARRAY.</summary>
    Array = 3,

    /// <summary>BTF_KIND_STRUCT.</summary>
    Struct = 4,

    /// <summary>BTF_KIND_UNION.</summary>
    Union = 5,

    /// <summary>BTF_KIND_ENUM: values up to 32 bits.</summary>
    Enum = 6,

    /// <summary>BTF_KIND_FWD: a struct or union declared but not defined.</summary>
    Forward = 7,

    /// <summary>BTF_KIND_TYPEDEF.</summary>
    Typedef = 8,

    /// <summary>BTF_KIND_VOLATILE.</summary>
    Volatile = 9,

    /// <summary>BTF_KIND_CONST.</summary>
    Const = 10,

    /// <summary>BTF_KIND_RESTRICT.</summary>
    Restrict = 11,

    /// <summary>BTF_KIND_FUNC: a function (not a type: it names a FUNC_PROTO).</summary>
    Function = 12,

    /// <summary>BTF_KIND_FUNC_PROTO: a function type.</summary>
    FunctionProto = 13,

    /// <summary>BTF_KIND_VAR: a variable (not a type).</summary>
    Variable = 14,

    /// <summary>BTF_KIND_DATASEC: a data section listing its variables.</summary>
    DataSection = 15,

    /// <summary>BTF_KIND_FLOAT.</summary>
    Float = 16,

    /// <summary>BTF_KIND_DECL_TAG: an attribute on a declaration (skipped).</summary>
    DeclTag = 17,

    /// <summary>BTF_KIND_TYPE_TAG: an attribute on a pointee type such as __user or __rcu (skipped).</summary>
    TypeTag = 18,

    /// <summary>BTF_KIND_ENUM64: values up to 64 bits (Linux v6.0).</summary>
    Enum64 = 19,
}
