using Kdx.Core.Memory;

namespace Kdx.Core.Dumps;

/// <summary>
/// A crash dump: the physical memory of the crashed machine and what the dump recorded beside it
/// (VMCOREINFO, per-CPU registers, notes, header fields). Every format (ELF core, compressed kdump,
/// flattened, split sets) is a subclass; <see cref="DumpFiles.Open(string, DumpOpenOptions?)"/> picks one by content.
/// Reading is page-granular inside the readers and never scans the whole file.
/// </summary>
public abstract class DumpFile : IMemoryReader, IDisposable
{
    /// <summary>Creates the common part of a dump.</summary>
    protected DumpFile(string path, DumpOpenOptions options)
    {
        Path = path;
        Options = options;
    }

    /// <summary>The dump's (first) file.</summary>
    public string Path { get; }

    /// <summary>Every file of the dump (several for a split dump set).</summary>
    public virtual IReadOnlyList<string> Files => [Path];

    /// <summary>The options the dump was opened with.</summary>
    public DumpOpenOptions Options { get; }

    /// <summary>A short description of the format, e.g. "ELF (kdump)" or "compressed kdump (lzo)".</summary>
    public abstract string FormatName { get; }

    /// <summary>Which producer wrote the dump, as far as the file tells.</summary>
    public abstract DumpProducer Producer { get; }

    /// <inheritdoc/>
    public AddressSpace Space => AddressSpace.Physical;

    /// <summary>The page size of the crashed machine.</summary>
    public abstract int PageSize { get; }

    /// <summary>VMCOREINFO, when the dump has it.</summary>
    public abstract VmcoreInfo? VmcoreInfo { get; }

    /// <summary>Every ELF note of the dump (for ELF dumps; compressed kdumps keep theirs in the sub-header).</summary>
    public abstract IReadOnlyList<ElfNote> Notes { get; }

    /// <summary>Per-CPU state recorded at the crash, in CPU order.</summary>
    public abstract IReadOnlyList<CpuState> Cpus { get; }

    /// <summary>The utsname the dump header recorded (compressed kdump), or null.</summary>
    public virtual DumpUtsname? HeaderUtsname => null;

    /// <summary>The crash time: VMCOREINFO's CRASHTIME, else the dump header's time stamp.</summary>
    public virtual DateTimeOffset? CrashTime => VmcoreInfo?.CrashTime;

    /// <summary>The CPU that panicked, when the format records it; the kernel layer finds it otherwise.</summary>
    public virtual int? PanicCpu => null;

    /// <summary>The physical address ranges the dump describes, sorted (their pages may still be excluded).</summary>
    public abstract IReadOnlyList<PhysicalRange> PhysicalRanges { get; }

    /// <summary>
    /// Virtual-to-physical mappings the dump itself states (ELF PT_LOADs with a virtual address, such as
    /// the kernel text segment of /proc/vmcore, or every mapping of a QEMU paging=true dump).
    /// </summary>
    public virtual IReadOnlyList<VirtualMapping> VirtualMappings => [];

    /// <summary>
    /// Reads physical memory. Stops at the first byte that cannot be read and says why, except that
    /// with <see cref="DumpOpenOptions.ZeroExcluded"/> excluded pages read as zeros.
    /// </summary>
    public ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        while (true)
        {
            var status = ReadPhysical(address, destination, out int n);
            bytesRead += n;
            if (status != ReadStatus.Excluded || !Options.ZeroExcluded)
            {
                return status;
            }

            // Zero the rest of the excluded page and carry on after it.
            address += (ulong)n;
            destination = destination[n..];
            ulong pageEnd = (address | ((ulong)(uint)PageSize - 1)) + 1;
            int zero = (int)Math.Min((ulong)destination.Length, pageEnd - address);
            destination[..zero].Clear();
            bytesRead += zero;
            address += (ulong)zero;
            destination = destination[zero..];
            if (destination.IsEmpty)
            {
                return ReadStatus.Ok;
            }
        }
    }

    /// <summary>The state of one page frame: present, excluded, or not described by the dump.</summary>
    public abstract PageState GetPageState(ulong pfn);

    /// <inheritdoc/>
    public virtual string? ExplainFailure(ulong address, ReadStatus status) => null;

    /// <summary>The format's header fields for <c>help -D</c>.</summary>
    public abstract DumpDescription Describe();

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Reads physical memory without the excluded-page policy: the format-specific part of <see cref="Read"/>.
    /// </summary>
    protected abstract ReadStatus ReadPhysical(ulong address, Span<byte> destination, out int bytesRead);

    /// <summary>Releases the files.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>Who wrote a dump.</summary>
public enum DumpProducer
{
    /// <summary>Unknown.</summary>
    Unknown,

    /// <summary>The kernel's /proc/vmcore, copied as is.</summary>
    KdumpElf,

    /// <summary>makedumpfile (compressed kdump, filtered ELF, flattened).</summary>
    Makedumpfile,

    /// <summary>QEMU's dump-guest-memory.</summary>
    Qemu,

    /// <summary>Kdx's own <c>kdx convert</c>.</summary>
    Kdx,
}

/// <summary>The state of a page frame in a dump.</summary>
public enum PageState : byte
{
    /// <summary>The dump does not describe this frame.</summary>
    NotInDump,

    /// <summary>The frame's contents are in the dump.</summary>
    Present,

    /// <summary>The frame exists but its contents were excluded (filtered out).</summary>
    Excluded,
}

/// <summary>A range of physical addresses [Start, End).</summary>
/// <param name="Start">The first address.</param>
/// <param name="End">The address after the last.</param>
public readonly record struct PhysicalRange(ulong Start, ulong End)
{
    /// <summary>The number of bytes.</summary>
    public ulong Size => End - Start;

    /// <summary>Whether the range holds <paramref name="address"/>.</summary>
    public bool Contains(ulong address) => address >= Start && address < End;
}

/// <summary>A virtual range the dump maps to physical memory.</summary>
/// <param name="VirtualStart">The first virtual address.</param>
/// <param name="PhysicalStart">The physical address of the first byte.</param>
/// <param name="Size">The number of bytes.</param>
public readonly record struct VirtualMapping(ulong VirtualStart, ulong PhysicalStart, ulong Size)
{
    /// <summary>Whether the mapping holds <paramref name="address"/>.</summary>
    public bool Contains(ulong address) => address >= VirtualStart && address - VirtualStart < Size;
}

/// <summary>The utsname fields of a dump header.</summary>
/// <param name="Sysname">e.g. "Linux".</param>
/// <param name="Nodename">The host name.</param>
/// <param name="Release">The kernel release.</param>
/// <param name="Version">The kernel version string.</param>
/// <param name="Machine">e.g. "x86_64".</param>
/// <param name="Domainname">The NIS domain name.</param>
public sealed record DumpUtsname(string Sysname, string Nodename, string Release, string Version, string Machine, string Domainname);
