using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Memory.Kmem;

/// <summary>struct page lines (<c>kmem -p</c>, the last part of <c>kmem address</c>) and page flags (<c>kmem -g</c>).</summary>
internal sealed class KmemPageText(CommandContext context)
{
    /// <summary>crash's mem_map header.</summary>
    public const string PageHeader = "      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS";

    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    private KernelProgram Program => context.Session.Program;

    private PageFacts Facts => Program.Derived(p => new PageFacts(p));

    /// <summary>Every struct page of every present memory section, streamed.</summary>
    public void EveryPage()
    {
        var facts = Facts;
        var map = facts.MemMap;
        context.WriteLine(PageHeader);
        var buffer = new byte[facts.Layout.Size * 512];
        var line = new StringBuilder(128);
        for (ulong pfn = 0; pfn < facts.Geometry.EndPfn;)
        {
            if (!map.TryGetStructPage(pfn, out ulong first))
            {
                pfn += map.ContiguousFrom(pfn);
                continue;
            }

            context.Cancellation.ThrowIfCancellationRequested();
            int n = (int)Math.Min(512, map.ContiguousFrom(pfn));
            var chunk = buffer.AsSpan(0, n * facts.Layout.Size);
            bool whole = Program.Kernel.Read(first, chunk, out _) == ReadStatus.Ok;
            for (int i = 0; i < n; i++)
            {
                ulong page = first + (ulong)(i * facts.Layout.Size);
                if (whole)
                {
                    line.Clear();
                    facts.AppendLine(line, page, pfn + (ulong)i, chunk.Slice(i * facts.Layout.Size, facts.Layout.Size));
                    context.WriteLine(line.ToString());
                }
                else
                {
                    Line(page, pfn + (ulong)i);
                }
            }

            pfn += (ulong)n;
        }

        context.WriteLine(string.Empty);
    }

    /// <summary><c>kmem -p PADDR</c>: the struct page of a physical address.</summary>
    public void PhysicalPage(ulong physical)
    {
        ulong pfn = Facts.Geometry.PfnOfPhysical(physical);
        if (!Facts.MemMap.TryGetStructPage(pfn, out ulong page))
        {
            throw new CommandException(string.Create(Ci, $"kmem: {physical:x}: physical address not found in mem map"));
        }

        context.WriteLine(PageHeader);
        Line(page, pfn);
    }

    /// <summary>The header and the line of the struct page of <paramref name="pfn"/>; false when it has none.</summary>
    public bool PageOfFrame(ulong pfn)
    {
        if (!Facts.MemMap.TryGetStructPage(pfn, out ulong page))
        {
            return false;
        }

        context.WriteLine(PageHeader);
        Line(page, pfn);
        return true;
    }

    /// <summary><c>kmem -g [flags]</c>: the kernel's page flag bits, or those set in <paramref name="flags"/>.</summary>
    public void PageFlags(ulong? flags)
    {
        var bits = Program.Types.FindType("pageflags", TypeKind.Enum)?.Enumerators
            ?? throw new CommandException("kmem: no type information for enum pageflags");
        string indent = string.Empty;
        if (flags is { } f)
        {
            context.WriteLine(string.Create(Ci, $"FLAGS: {f:x}"));
            indent = "  ";
        }

        context.WriteLine($"{indent}PAGE-FLAG              BIT  VALUE");
        foreach (var e in bits)
        {
            if (!e.Name.StartsWith("PG_", StringComparison.Ordinal) || e.Value >= 64)
            {
                continue;
            }

            ulong mask = 1UL << (int)e.Value;
            if (flags is { } v && (v & mask) == 0)
            {
                continue;
            }

            context.WriteLine(string.Create(Ci, $"{indent}{e.Name,-22} {e.Value,3}  {mask:x7}"));
        }
    }

    private void Line(ulong page, ulong pfn)
    {
        var facts = Facts;
        Span<byte> b = stackalloc byte[facts.Layout.Size];
        if (Program.Kernel.Read(page, b, out _) != ReadStatus.Ok)
        {
            context.WriteLine(string.Create(Ci, $"{page:x16} {facts.Geometry.PhysicalAddress(pfn),8:x} (struct page not in the dump)"));
            return;
        }

        var line = new StringBuilder(128);
        facts.AppendLine(line, page, pfn, b);
        context.WriteLine(line.ToString());
    }

    /// <summary>What page lines need, looked up once per program: struct page offsets, flag names, the mem_map.</summary>
    private sealed class PageFacts
    {
        private readonly (ulong Mask, string Name)[] _names;
        private readonly int _flags;
        private readonly int _mapping;
        private readonly int _index;
        private readonly int _count;

        public PageFacts(KernelProgram program)
        {
            Layout = StructLayout.Find(program.Types, "page");
            _flags = Layout.Offset("flags");
            _mapping = Layout.Offset("mapping");
            _index = Layout.Offset("index");
            _count = Layout.Offset("_refcount");
            _names = ReadFlagNames(program);
            var slub = program.Derived(SlubAllocator.Open);
            Geometry = slub.Geometry;
            var info = program.VmcoreInfo ?? throw new KdxException("the dump has no VMCOREINFO: the mem_map is unknown");
            MemMap = MemMap.Read(program.Kernel, info, program.PageSize, Geometry.EndPfn);
        }

        public StructLayout Layout { get; }

        public PageGeometry Geometry { get; }

        public MemMap MemMap { get; }

        public void AppendLine(StringBuilder line, ulong page, ulong pfn, ReadOnlySpan<byte> b)
        {
            ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(b[_flags..]);
            ulong mapping = BinaryPrimitives.ReadUInt64LittleEndian(b[_mapping..]);
            ulong index = BinaryPrimitives.ReadUInt64LittleEndian(b[_index..]);
            int count = BinaryPrimitives.ReadInt32LittleEndian(b[_count..]);
            line.Append(Ci, $"{page:x16} {Geometry.PhysicalAddress(pfn),8:x} {mapping,16:x} {index,8:x} {count,2} {flags:x}");
            char sep = ' ';
            foreach (var (mask, name) in _names)
            {
                if ((flags & mask) != 0)
                {
                    line.Append(sep).Append(name);
                    sep = ',';
                }
            }
        }

        // The kernel's own names (mm/debug.c pageflag_names[]: struct trace_print_flags {mask, name}, ended by {0, NULL}).
        private static (ulong, string)[] ReadFlagNames(KernelProgram program)
        {
            var names = new List<(ulong, string)>();
            if (program.AddressOf("pageflag_names") is not { } table)
            {
                return [];
            }

            for (int i = 0; i < 64; i++)
            {
                if (!program.Kernel.TryReadUInt64(table + (ulong)(i * 16), out ulong mask) || !program.Kernel.TryReadUInt64(table + (ulong)(i * 16) + 8, out ulong name)
                    || name == 0)
                {
                    break;
                }

                try
                {
                    names.Add((mask, program.Kernel.ReadCString(name, 64, "pageflag_names")));
                }
                catch (MemoryFaultException)
                {
                    break;
                }
            }

            return [.. names];
        }
    }
}
