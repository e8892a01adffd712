using Kdx.Cli;

namespace Kdx.Tests.Cli;

public sealed class CliStartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kdx-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = KdxMain.Run(args, new StringReader(string.Empty), o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void A_missing_file_is_one_line_on_stderr_and_exit_1()
    {
        var path = Path.Combine(_dir, "nope");
        var (code, output, err) = Run(path);
        code.ShouldBe(1);
        output.ShouldBeEmpty();
        err.ShouldBe($"kdx: {path}: no such file\n");
    }

    [Fact]
    public void A_directory_is_rejected_with_a_reason()
    {
        var (code, _, err) = Run(_dir);
        code.ShouldBe(1);
        err.ShouldStartWith($"kdx: {_dir}: ");
        err.Trim().Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public void An_empty_or_unknown_file_is_not_a_dump()
    {
        var empty = Path.Combine(_dir, "empty");
        File.WriteAllBytes(empty, []);
        var junk = Path.Combine(_dir, "junk");
        File.WriteAllBytes(junk, new byte[1000]);
        Run(empty).Err.ShouldBe($"kdx: {empty}: the file is empty\n");
        var r = Run(junk);
        r.Code.ShouldBe(1);
        r.Err.ShouldBe($"kdx: {junk}: not a vmcore, vmlinux or System.map\n");
    }

    [Fact]
    public void No_arguments_and_bad_options_are_usage_errors()
    {
        Run().Code.ShouldBe(2);
        var r = Run("--bogus");
        r.Code.ShouldBe(2);
        r.Err.ShouldStartWith("kdx: unknown option --bogus\n");
        Run("-c").Code.ShouldBe(2);
    }

    [Fact]
    public void Version_and_help_exit_0()
    {
        var v = Run("--version");
        v.Code.ShouldBe(0);
        v.Out.ShouldStartWith("kdx ");
        Run("--help").Out.ShouldContain("usage: kdx");
    }
}
