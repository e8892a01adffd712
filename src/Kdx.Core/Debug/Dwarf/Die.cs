namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// One DIE with the attributes the type builder and the line and address lookups use (others are
/// skipped). A plain value: read it, use it, drop it.
/// </summary>
internal struct Die
{
    /// <summary>The DIE reference (offset in .debug_info, tagged for .debug_types).</summary>
    public long Ref;

    /// <summary>The unit.</summary>
    public DwarfUnit Unit;

    /// <summary>DW_TAG_*.</summary>
    public ushort Tag;

    /// <summary>Whether it owns children.</summary>
    public bool HasChildren;

    /// <summary>The section offset just past its attributes (its first child, when it has children).</summary>
    public int AttributesEnd;

    public AttributeValue Name;
    public AttributeValue Type;
    public AttributeValue ByteSize;
    public AttributeValue BitSize;
    public AttributeValue BitOffset;
    public AttributeValue DataBitOffset;
    public AttributeValue DataMemberLocation;
    public AttributeValue Encoding;
    public AttributeValue UpperBound;
    public AttributeValue LowerBound;
    public AttributeValue Count;
    public AttributeValue ConstValue;
    public AttributeValue DeclFile;
    public AttributeValue DeclLine;
    public AttributeValue Specification;
    public AttributeValue AbstractOrigin;
    public AttributeValue Sibling;
    public AttributeValue LowPc;
    public AttributeValue HighPc;
    public AttributeValue Ranges;
    public AttributeValue Location;
    public bool Declaration;
    public bool External;
    public bool Prototyped;
    public bool Inline;

    /// <summary>Whether this is the null entry that ends a list of children.</summary>
    public readonly bool IsNull => Tag == 0;

    /// <summary>The DIE's section offset.</summary>
    public readonly int Offset => (int)(Ref & ~DwarfUnit.TypesSectionTag);

    /// <summary>Whether the DIE has code: a low_pc or ranges.</summary>
    public readonly bool HasCode => LowPc.Exists || Ranges.Exists;

    /// <summary>The DIE that names this one: its specification or abstract origin (if any).</summary>
    public readonly AttributeValue Origin => Specification.Exists ? Specification : AbstractOrigin;
}
