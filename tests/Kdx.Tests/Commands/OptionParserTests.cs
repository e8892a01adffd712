using Kdx.Commands.Infrastructure;

namespace Kdx.Tests.Commands;

public class OptionParserTests
{
    private static readonly OptionParser Rd = new("rd", "adpsxuNR", "o", "8", "16", "32", "64");

    [Fact]
    public void Word_options_bundled_flags_and_positionals()
    {
        var o = Rd.Parse(["-64", "-ax", "ffffffff81000000", "4"]);
        o.Has("64").ShouldBeTrue();
        o.Has("a").ShouldBeTrue();
        o.Has("x").ShouldBeTrue();
        o.Has("p").ShouldBeFalse();
        o.Positionals.ShouldBe(["ffffffff81000000", "4"]);
    }

    [Fact]
    public void Options_after_positionals_and_values_attached_or_separate()
    {
        var o = Rd.Parse(["addr", "-o8", "-s", "-o", "16"]);
        o.Values("o").ShouldBe(["8", "16"]);
        o.Value("o").ShouldBe("16");
        o.Has("s").ShouldBeTrue();
        o.Positionals.ShouldBe(["addr"]);
    }

    [Fact]
    public void Double_dash_ends_options_and_a_lone_dash_is_positional()
    {
        var o = Rd.Parse(["--", "-a", "-"]);
        o.Positionals.ShouldBe(["-a", "-"]);
        o.Has("a").ShouldBeFalse();
    }

    [Fact]
    public void Repeated_flags_are_counted()
    {
        new OptionParser("bt", "F").Parse(["-FF"]).Count("F").ShouldBe(2);
    }

    [Fact]
    public void Unknown_option_and_missing_value_are_errors_naming_the_command()
    {
        Should.Throw<CommandException>(() => Rd.Parse(["-z"])).Message.ShouldBe("rd: invalid option -- 'z'");
        Should.Throw<CommandException>(() => Rd.Parse(["-o"])).Message.ShouldBe("rd: option requires an argument -- 'o'");
    }
}
