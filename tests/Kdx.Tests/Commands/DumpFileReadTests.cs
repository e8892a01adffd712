using Kdx.Commands.Infrastructure;
using Kdx.Commands.Memory;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Tests.Dumps.Kdump;

namespace Kdx.Tests.Commands;

public sealed class DumpFileReadTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"kdx-f-{Guid.NewGuid():n}.kdump");

    public DumpFileReadTests() => File.WriteAllBytes(_path, new KdumpBuilder().WithPages(1, 2).Build().Bytes);

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Rd_f_reads_the_dump_file_by_offset()
    {
        using var program = KernelProgram.Open([_path]);
        var session = new Session(program, CommandRegistry.CreateDefault());
        using var output = new StringWriter { NewLine = "\n" };
        CommandRunner.Run(session, "rd -f 0 2", output);
        // disk_dump_header: the signature, then header_version 6 and the utsname.
        output.ToString().ShouldBe("               0:  202020504d55444b 756e694c00000006   KDUMP   ....Linu\n");

        long length = new FileInfo(_path).Length;
        using var tail = new StringWriter { NewLine = "\n" };
        CommandRunner.Run(session, $"rd -f -8 {length - 1:x} 2", tail);
        tail.ToString().ShouldBe(
            $"{length - 1,16:x}:  {File.ReadAllBytes(_path)[^1]:x2} " + new string(' ', 48 - 3 + 2) + "." + "\n" +
            $"rd: read error: dumpfile address: {length:x}  type: \"8-bit FILEADDR\" (not in dump: the file is {length} bytes long)\n");
    }

    [Fact]
    public void The_file_reader_stops_at_the_end_of_the_file()
    {
        using var file = DumpFileBytes.Open(_path);
        long length = new FileInfo(_path).Length;
        var buffer = new byte[16];
        file.Read((ulong)length - 4, buffer, out int n).ShouldBe(ReadStatus.NotInDump);
        n.ShouldBe(4);
        file.Read(ulong.MaxValue - 2, buffer, out n).ShouldBe(ReadStatus.NotInDump);
        n.ShouldBe(0);
        file.Read(0, buffer.AsSpan(0, 8), out n).ShouldBe(ReadStatus.Ok);
        buffer.AsSpan(0, 8).ToArray().ShouldBe("KDUMP   "u8.ToArray());
        Should.Throw<CommandException>(() => DumpFileBytes.Open("/nonexistent/dump")).Message.ShouldStartWith("cannot open the dump file /nonexistent/dump");
    }
}
