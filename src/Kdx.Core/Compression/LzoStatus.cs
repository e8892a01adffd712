namespace Kdx.Core.Compression;

/// <summary>
/// Result of <see cref="Lzo1x.Decompress"/>. The values are liblzo2's return codes
/// (lzo/lzoconf.h: LZO_E_OK, LZO_E_INPUT_OVERRUN, …) so a status can be compared with the
/// C library's one for one. liblzo2 2.10's <c>lzo1x_decompress_safe</c> never returns
/// LZO_E_EOF_NOT_FOUND: a stream without its end marker runs out of input, an input overrun.
/// </summary>
public enum LzoStatus
{
    /// <summary>The stream ended with its end marker exactly at the end of the input (LZO_E_OK).</summary>
    Ok = 0,

    /// <summary>The input ends inside an instruction or before the end marker (LZO_E_INPUT_OVERRUN).</summary>
    InputOverrun = -4,

    /// <summary>The output does not fit in the destination (LZO_E_OUTPUT_OVERRUN).</summary>
    OutputOverrun = -5,

    /// <summary>A match refers to bytes before the start of the output (LZO_E_LOOKBEHIND_OVERRUN).</summary>
    LookbehindOverrun = -6,

    /// <summary>The end marker came before the end of the input (LZO_E_INPUT_NOT_CONSUMED).</summary>
    InputNotConsumed = -8,
}
