using System.Buffers.Binary;

namespace Kdx.Tests.Linux.Mm;

/// <summary>A hand-built mem_map: <c>count</c> struct pages (plus one after them) laid out as <see cref="Kernel"/> says.</summary>
public sealed class StructPages
{
    private readonly Kernel _kernel;

    public StructPages(Kernel kernel, int count, ulong vmemmap = 0xffffea0000000000)
    {
        _kernel = kernel;
        Count = count;
        Vmemmap = vmemmap;
        Bytes = new byte[(count + 1) * Size];
        for (int i = 0; i <= count; i++)
        {
            Page(i); // a plain kernel page: mapcount -1, refcount 1
        }
    }

    public int Count { get; }

    public ulong Vmemmap { get; }

    public byte[] Bytes { get; }

    public int Size => _kernel.Layout.Size;

    /// <summary>Every struct page readable.</summary>
    public bool[] AllReadable => Enumerable.Repeat(true, Count + 1).ToArray();

    public ulong AddressOf(int index) => Vmemmap + ((ulong)index * (ulong)Size);

    public StructPages Page(int i, ulong flags = 0, ulong mapping = 0, uint mapcount = uint.MaxValue, ulong priv = 0, ulong compoundHead = 0, uint refcount = 1)
    {
        var l = _kernel.Layout;
        var p = Bytes.AsSpan(i * Size, Size);
        p.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(p[l.FlagsOffset!.Value..], flags | (0x7ffffcUL << 40)); // zone/node bits as on x86_64
        BinaryPrimitives.WriteUInt32LittleEndian(p[l.RefCountOffset!.Value..], refcount);
        BinaryPrimitives.WriteUInt64LittleEndian(p[l.MappingOffset!.Value..], mapping);
        BinaryPrimitives.WriteUInt32LittleEndian(p[l.MapCountOffset!.Value..], mapcount);
        BinaryPrimitives.WriteUInt64LittleEndian(p[l.PrivateOffset!.Value..], priv);
        BinaryPrimitives.WriteUInt64LittleEndian(p[l.CompoundHeadOffset!.Value..], compoundHead);
        return this;
    }

    public StructPages Flags(int i, ulong flags)
    {
        var p = Bytes.AsSpan((i * Size) + _kernel.Layout.FlagsOffset!.Value);
        BinaryPrimitives.WriteUInt64LittleEndian(p, BinaryPrimitives.ReadUInt64LittleEndian(p) | flags);
        return this;
    }

    public StructPages Buddy(int i, int order) => Page(i, mapcount: _kernel.Type("BUDDY"), priv: (ulong)order, refcount: 0);

    /// <summary>
    /// A compound page of 2^order pages at <paramref name="head"/>: PG_head and the order (where this kernel keeps
    /// it) on the head, compound_head = head | 1 on every tail. Tails past the end of the array are left out.
    /// </summary>
    public StructPages Compound(int head, int order, ulong flags = 0, ulong mapping = 0, uint mapcount = uint.MaxValue, byte dtor = 0)
    {
        var l = _kernel.Layout;
        Page(head, flags | l.HeadMask, mapping, mapcount);
        for (int t = head + 1; t < head + (1 << order) && t <= Count; t++)
        {
            Page(t, compoundHead: AddressOf(head) | 1, mapping: 0x400 /* TAIL_MAPPING */, refcount: 0);
        }

        if (head + 1 <= Count)
        {
            Bytes[(head * Size) + l.OrderByteOffset!.Value] = (byte)order;
            if (l.DtorByteOffset is { } d)
            {
                Bytes[(head * Size) + d] = dtor;
            }
        }

        return this;
    }

    /// <summary>A slab page as this kernel marks one, with the given word in page.mapping (slab.slabs since 6.2).</summary>
    public StructPages Slab(int i, ulong mappingWord = 1) => _kernel.SlabIsType
        ? Page(i, mapping: mappingWord, mapcount: _kernel.Type("SLAB"))
        : Page(i, flags: _kernel.Flag("PG_slab"), mapping: mappingWord);
}
