using System.Runtime.InteropServices;
using ZstdSharp.Unsafe;

namespace Kdx.Core.Compression;

/// <summary>
/// zstd pages as makedumpfile writes them: one zstd frame per page from
/// <c>ZSTD_compressCCtx(cctx, …, 1)</c>, read back with <c>ZSTD_decompress</c> (makedumpfile.c).
/// Uses ZstdSharp's port of the reference library through its C-style API, which reports errors as
/// codes rather than exceptions. The contexts are reused between calls and are not thread-safe.
/// </summary>
internal sealed unsafe class ZstdCodec : IDisposable
{
    /// <summary>makedumpfile's compression level.</summary>
    private const int Level = 1;

    private DecompressionContext? _decompression;
    private CompressionContext? _compression;

    /// <summary>
    /// Decompresses the frames in <paramref name="source"/> as <c>ZSTD_decompress</c> does, except
    /// that no input at all is a failure here (zstd reads it as zero frames, zero bytes).
    /// </summary>
    public bool TryDecompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        if (source.IsEmpty)
        {
            written = 0;
            return false;
        }

        _decompression ??= new DecompressionContext();
        byte none = 0;
        nuint result;
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            // Empty spans pin as null; the library wants real addresses even for zero bytes.
            result = Methods.ZSTD_decompressDCtx(
                _decompression.Context,
                output is null ? &none : output,
                (nuint)destination.Length,
                input,
                (nuint)source.Length);
        }

        if (Methods.ZSTD_isError(result))
        {
            written = 0;
            return false;
        }

        written = (int)result;
        return true;
    }

    public int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        _compression ??= new CompressionContext();
        byte none = 0;
        nuint result;
        fixed (byte* input = source)
        fixed (byte* output = destination)
        {
            result = Methods.ZSTD_compressCCtx(
                _compression.Context,
                output is null ? &none : output,
                (nuint)destination.Length,
                input is null ? &none : input,
                (nuint)source.Length,
                Level);
        }

        return Methods.ZSTD_isError(result) ? -1 : (int)result;
    }

    public static int MaxCompressedSize(int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        nuint bound = Methods.ZSTD_compressBound((nuint)inputLength);
        return bound > int.MaxValue ? throw new ArgumentOutOfRangeException(nameof(inputLength)) : (int)bound;
    }

    public void Dispose()
    {
        _decompression?.Dispose();
        _compression?.Dispose();
    }

    /// <summary>Owns a ZSTD_DCtx; freed by Dispose or, if forgotten, by the finalizer.</summary>
    private sealed class DecompressionContext : SafeHandle
    {
        public DecompressionContext()
            : base(IntPtr.Zero, ownsHandle: true) => SetHandle((IntPtr)Methods.ZSTD_createDCtx());

        public override bool IsInvalid => handle == IntPtr.Zero;

        public ZSTD_DCtx_s* Context => (ZSTD_DCtx_s*)handle;

        protected override bool ReleaseHandle() => !Methods.ZSTD_isError(Methods.ZSTD_freeDCtx((ZSTD_DCtx_s*)handle));
    }

    /// <summary>Owns a ZSTD_CCtx; freed by Dispose or, if forgotten, by the finalizer.</summary>
    private sealed class CompressionContext : SafeHandle
    {
        public CompressionContext()
            : base(IntPtr.Zero, ownsHandle: true) => SetHandle((IntPtr)Methods.ZSTD_createCCtx());

        public override bool IsInvalid => handle == IntPtr.Zero;

        public ZSTD_CCtx_s* Context => (ZSTD_CCtx_s*)handle;

        protected override bool ReleaseHandle() => !Methods.ZSTD_isError(Methods.ZSTD_freeCCtx((ZSTD_CCtx_s*)handle));
    }
}
