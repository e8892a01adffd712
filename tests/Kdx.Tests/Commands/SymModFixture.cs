using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;
using Kdx.Tests.Model;

namespace Kdx.Tests.Commands;

/// <summary>
/// A kernel opened without a vmlinux (kallsyms from the dump) with two modules, for sym and mod: vmlab with a
/// local function and its global alias at one address, a clone-suffixed function and data; virtio_blk with one function.
/// </summary>
internal sealed class SymModFixture : IDisposable
{
    public const ulong VmlabText = 0xffffffffc0001000;
    public const ulong VirtioText = 0xffffffffc0010000;

    public SymModFixture()
    {
        var k = new KernelWithModules(memLayout: true);
        Kernel = k;
        Jiffies = k.Kernel.Text + 0x1500000;
        k.AddKernelSymbol("jiffies", Jiffies);
        k.AddKernelSymbol("jiffies_64", Jiffies);
        k.AddKernelSymbol("helper.isra.0", Jiffies + 0x100);
        Vmlab = k.AddModule("vmlab", VmlabText,
        [
            ("vmlab_timer_fn", 'T', VmlabText + 0x60, 0x1d), ("vmlab_write.part.0", 't', VmlabText + 0x100, 0x50),
            ("cleanup_module", 'T', VmlabText + 0x200, 0x40), ("vmlab_exit", 't', VmlabText + 0x200, 0x40),
            ("vmlab_items", 'd', VmlabText + 0x2060, 16), ("vmlab_objs", 'B', VmlabText + 0x26a0, 296),
        ]);
        Virtio = k.AddModule("virtio_blk", VirtioText, [("virtblk_probe", 't', VirtioText + 0x100, 0x200)]);
        k.Finish();
        Program = KernelProgram.Open(k.Kernel.Dump);
        Session = new Session(Program, CommandRegistry.CreateDefault());
    }

    public KernelWithModules Kernel { get; }

    public KernelProgram Program { get; }

    public Session Session { get; }

    public ulong Jiffies { get; }

    public ulong Text => Kernel.Kernel.Text;

    /// <summary>The struct module of vmlab.</summary>
    public ulong Vmlab { get; }

    /// <summary>The struct module of virtio_blk.</summary>
    public ulong Virtio { get; }

    public string Run(string line)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        CommandRunner.Run(Session, line, output);
        return output.ToString();
    }

    public void Dispose() => Program.Dispose();
}
