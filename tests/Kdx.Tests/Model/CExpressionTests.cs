using Kdx.Core;
using Kdx.Core.Model;
using Kdx.Core.Model.Expressions;

namespace Kdx.Tests.Model;

public class CExpressionTests
{
    private const ulong TaskAddress = TestProgram.Base + 0x1000;

    private static TestProgram Program()
    {
        var p = new TestProgram();
        p.Variable("init_task", p.Task, TaskAddress);
        p.Variable("jiffies", p.ULong, TestProgram.Base + 0x100);
        p.Variable("counter", p.Int, TestProgram.Base + 0x110);
        p.Symbol("untyped", TestProgram.Base + 0x120);
        p.Write(TestProgram.Base + 0x100, 1000);
        p.Write(TestProgram.Base + 0x110, unchecked((ulong)-5), 4);
        p.Write(TestProgram.Base + 0x120, 77);
        p.Write(TestProgram.Base + 0x1100, 9);
        p.Write(TaskAddress, 1, 4);
        p.WriteString(TaskAddress + 12, "swapper/0");
        p.Write(TaskAddress + 56, TaskAddress);
        return p;
    }

    private static KObject Eval(string text) => CExpression.Evaluate(Program(), text);

    [Theory]
    [InlineData("1 + 2 * 3", 7)]
    [InlineData("(1 + 2) * 3", 9)]
    [InlineData("0x10 | 1", 17)]
    [InlineData("010", 8)]
    [InlineData("1 << 4 >> 2", 4)]
    [InlineData("-7 / 2", -3)]
    [InlineData("-7 % 3", -1)]
    [InlineData("~0 & 0xff", 255)]
    [InlineData("3 > 2 && 2 > 1", 1)]
    [InlineData("0 || 0", 0)]
    [InlineData("!5", 0)]
    [InlineData("1 ? 10 : 20", 10)]
    [InlineData("jiffies - 100", 900)]
    [InlineData("counter * 2", -10)]
    [InlineData("counter < 0", 1)]
    [InlineData("sizeof(struct task)", 64)]
    [InlineData("sizeof(unsigned long)", 8)]
    [InlineData("sizeof(init_task.comm)", 16)]
    [InlineData("sizeof init_task", 64)]
    [InlineData("'A'", 65)]
    [InlineData("init_task.pid", 1)]
    [InlineData("init_task.parent->parent->pid", 1)]
    [InlineData("init_task.comm[1]", 'w')]
    [InlineData("(unsigned long)untyped", 77)]
    [InlineData("*(unsigned int *)(0xffff888000001000)", 1)]
    [InlineData("((struct task *)0xffff888000001000)->pid", 1)]
    [InlineData("(char)0x1ff", -1)]
    [InlineData("(unsigned char)-1", 255)]
    [InlineData("jiffies:1", 9)]
    public void Evaluates_like_c(string text, long expected)
    {
        var r = Eval(text);
        (r.UnderlyingType.IsSigned ? r.ToInt64() : (long)r.ToUInt64()).ShouldBe(expected);
    }

    [Fact]
    public void Pointer_arithmetic_scales_by_the_element_size()
    {
        Eval("&init_task.tasks").ToUInt64().ShouldBe(TaskAddress + 40);
        Eval("&init_task + 1").ToUInt64().ShouldBe(TaskAddress + 64);
        Eval("(struct task *)0xffff888000001000 - 1").ToUInt64().ShouldBe(TaskAddress - 64);
        Eval("(long *)0x100 + 2").ToUInt64().ShouldBe(0x110UL);
        Eval("&init_task.comm[3] - &init_task.comm[0]").ToInt64().ShouldBe(3);
        Eval("&init_task.comm[3] - &init_task.comm[0]").ToInt64().ShouldBe(3);
        Eval("init_task.comm + 1").ToUInt64().ShouldBe(TaskAddress + 13);
        Eval("&untyped").ToUInt64().ShouldBe(TestProgram.Base + 0x120);
    }

    [Fact]
    public void Types_of_results()
    {
        Eval("&init_task").Type.ToString().ShouldBe("struct task *");
        Eval("*&init_task").Type.ToString().ShouldBe("struct task");
        Eval("1").Type.ToString().ShouldBe("int");
        Eval("4294967296").Type.ToString().ShouldBe("long int");
        Eval("0xffffffffffffffff").Type.ToString().ShouldBe("long unsigned int");
        Eval("1u").Type.ToString().ShouldBe("unsigned int");
        Eval("jiffies + 1").Type.ToString().ShouldBe("long unsigned int");
        CExpression.ParseTypeName(Program(), "const char *[4]").ToString().ShouldBe("const char *[4]");
        CExpression.ParseTypeName(Program(), "unsigned long").ToString().ShouldBe("long unsigned int");
        CExpression.ParseTypeName(Program(), "u32 *").ToString().ShouldBe("u32 *");
    }

    [Theory]
    [InlineData("1 +", "ends too early")]
    [InlineData("(1", "expected ')'")]
    [InlineData("1 2", "unexpected text")]
    [InlineData("nosuch + 1", "no symbol named nosuch")]
    [InlineData("1 / 0", "division by zero")]
    [InlineData("0x", "bad hexadecimal")]
    [InlineData("09", "bad octal")]
    [InlineData("#", "unexpected character")]
    [InlineData("(struct nosuch *)0", "no type named struct nosuch")]
    [InlineData("init_task.nope", "no member named nope")]
    [InlineData("jiffies:5", "invalid cpu number")]
    [InlineData("untyped + 1", "invalid operand")]
    [InlineData("u32 + 1", "is a type, not a value")]
    public void Errors_say_what_and_where(string text, string fragment)
    {
        Should.Throw<KdxException>(() => Eval(text)).Message.ShouldContain(fragment);
    }
}
