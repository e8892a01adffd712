namespace Kdx.Core.IO;

/// <summary>
/// Random-access bytes: a file, a part of one, or a reassembled stream (the makedumpfile
/// flattened format). Every dump parser reads through this, never through a <see cref="Stream"/>.
/// </summary>
public interface IByteSource : IDisposable
{
    /// <summary>What a user would call this source in a message, usually the file path.</summary>
    string Name { get; }

    /// <summary>The number of bytes in the source.</summary>
    long Length { get; }

    /// <summary>
    /// Copies bytes starting at <paramref name="offset"/> into <paramref name="destination"/>.
    /// Returns the number of bytes copied, which is less than the destination length only at the end
    /// of the source (or where a reassembled stream has a hole).
    /// </summary>
    int Read(long offset, Span<byte> destination);
}
