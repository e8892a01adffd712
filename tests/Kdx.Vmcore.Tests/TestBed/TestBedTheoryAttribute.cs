namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>A theory that needs the real-vmcore test bed: skipped like <see cref="TestBedFactAttribute"/> when it is missing.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TestBedTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets Skip when the test bed is not available.</summary>
    public TestBedTheoryAttribute()
    {
        if (TestBedIndex.UnavailableReason is { } why && Environment.GetEnvironmentVariable("KDX_REQUIRE_TESTBED") != "1")
        {
            Skip = why;
        }
    }
}
