namespace Kdx.Core.Linux;

/// <summary>Strings as the kernel stores them in fixed buffers: bytes up to the first NUL, one character per byte.</summary>
public static class KernelStrings
{
    /// <summary>The bytes before the first NUL (all of them when there is none) as Latin-1 text.</summary>
    public static string FromBuffer(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return System.Text.Encoding.Latin1.GetString(end < 0 ? bytes : bytes[..end]);
    }
}
