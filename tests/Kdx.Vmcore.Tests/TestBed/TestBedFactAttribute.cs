namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// A fact that needs the real-vmcore test bed: reported as skipped (with the command that builds
/// it) when index.json is missing, instead of failing every test of a machine without the data.
/// Under ./test.sh (KDX_REQUIRE_TESTBED=1) nothing is skipped: a missing test bed fails the tests.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class TestBedFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when the test bed is not available.</summary>
    public TestBedFactAttribute()
    {
        if (TestBedIndex.UnavailableReason is { } why && Environment.GetEnvironmentVariable("KDX_REQUIRE_TESTBED") != "1")
        {
            Skip = why;
        }
    }
}
