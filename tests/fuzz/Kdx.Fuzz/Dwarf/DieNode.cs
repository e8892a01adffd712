namespace Kdx.Fuzz.Dwarf;

/// <summary>One attribute as the test writer emits it: the value's meaning depends on the form.</summary>
/// <param name="At">DW_AT_*.</param>
/// <param name="Form">DW_FORM_* (DW_FORM_indirect puts <paramref name="Inner"/> in the DIE).</param>
/// <param name="Value">
/// A number (constants, addresses, flags, offsets, indexes, signatures), a string (string forms),
/// a <see cref="DieNode"/> (references), or bytes (blocks, expressions, data16).
/// </param>
/// <param name="Inner">The real form of a DW_FORM_indirect attribute.</param>
public sealed record DwAttr(ushort At, ushort Form, object? Value, ushort Inner = 0);

/// <summary>A DIE of the test writer: a tag, attributes, children. Offsets are assigned when the file is built.</summary>
public sealed class DieNode
{
    public DieNode(ushort tag) => Tag = tag;

    public ushort Tag { get; }

    public List<DwAttr> Attrs { get; } = [];

    public List<DieNode> Children { get; } = [];

    /// <summary>Declares children even when there are none (an empty list ended by a null entry).</summary>
    public bool ForceChildren { get; set; }

    /// <summary>The DIE's section offset, once built.</summary>
    public int Offset { get; internal set; }

    /// <summary>The offset just past the DIE and its subtree, once built.</summary>
    public int End { get; internal set; }

    /// <summary>The unit the DIE was built into.</summary>
    public UnitWriter? Unit { get; internal set; }

    public bool HasChildren => ForceChildren || Children.Count > 0;

    /// <summary>Adds a child and returns it.</summary>
    public DieNode Add(ushort tag)
    {
        var child = new DieNode(tag);
        Children.Add(child);
        return child;
    }

    /// <summary>Adds an attribute and returns this DIE (for chaining).</summary>
    public DieNode A(ushort at, ushort form, object? value)
    {
        Attrs.Add(new DwAttr(at, form, value));
        return this;
    }

    /// <summary>Adds an attribute encoded through DW_FORM_indirect.</summary>
    public DieNode Indirect(ushort at, ushort form, object? value)
    {
        Attrs.Add(new DwAttr(at, Dw.FormIndirect, value, form));
        return this;
    }

    /// <summary>DW_AT_name as DW_FORM_strp.</summary>
    public DieNode Name(string name) => A(Dw.AtName, Dw.FormStrp, name);

    /// <summary>DW_AT_type as DW_FORM_ref4.</summary>
    public DieNode Type(DieNode type) => A(Dw.AtType, Dw.FormRef4, type);

    /// <summary>DW_AT_byte_size as DW_FORM_data1/data2.</summary>
    public DieNode Size(int size) => A(Dw.AtByteSize, size < 256 ? Dw.FormData1 : Dw.FormData2, size);
}
