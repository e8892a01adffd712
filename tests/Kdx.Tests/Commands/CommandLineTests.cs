using Kdx.Commands.Infrastructure;

namespace Kdx.Tests.Commands;

public class CommandLineTests
{
    [Theory]
    [InlineData("rd -64 linux_banner 4", new[] { "rd", "-64", "linux_banner", "4" })]
    [InlineData("  p   jiffies  ", new[] { "p", "jiffies" })]
    [InlineData("rd (jiffies - 100) 2", new[] { "rd", "(jiffies - 100)", "2" })]
    [InlineData("echo \"a b\" 'c d'", new[] { "echo", "a b", "'c", "d'" })]
    [InlineData("p 'a' + 1", new[] { "p", "'a'", "+", "1" })]
    [InlineData("eval ((1 + 2) * 3)", new[] { "eval", "((1 + 2) * 3)" })]
    [InlineData("", new string[0])]
    public void Splits_like_crash(string line, string[] words)
    {
        CommandLine.Split(line).ShouldBe(words);
    }

    [Fact]
    public void An_unbalanced_parenthesis_keeps_the_rest_as_one_word()
    {
        CommandLine.Split("p (a + b").ShouldBe(["p", "(a + b"]);
    }
}
