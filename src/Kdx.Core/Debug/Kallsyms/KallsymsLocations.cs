using Kdx.Core.Dumps;

namespace Kdx.Core.Debug.Kallsyms;

/// <summary>
/// Where the kernel's kallsyms tables are (run-time addresses). Linux v6.0 puts them in VMCOREINFO
/// (5fd8fea935a1 "vmcoreinfo: include kallsyms symbols", f09bddbd8661 "vmcoreinfo: add kallsyms_num_syms
/// symbol"): kallsyms_names, kallsyms_num_syms, kallsyms_token_table, kallsyms_token_index, and either
/// kallsyms_offsets + kallsyms_relative_base or kallsyms_addresses.
/// </summary>
/// <param name="NumSyms">kallsyms_num_syms: the u32 symbol count.</param>
/// <param name="Names">kallsyms_names: the length-prefixed, token-compressed names.</param>
/// <param name="TokenTable">kallsyms_token_table: 256 NUL-terminated tokens.</param>
/// <param name="TokenIndex">kallsyms_token_index: 256 u16 offsets into the token table.</param>
/// <param name="Offsets">kallsyms_offsets: one s32 per symbol (base-relative kernels), or null.</param>
/// <param name="RelativeBase">kallsyms_relative_base: the base of the offsets, or null.</param>
/// <param name="Addresses">kallsyms_addresses: one unsigned long per symbol (older, absolute kernels), or null.</param>
public sealed record KallsymsLocations(ulong NumSyms, ulong Names, ulong TokenTable, ulong TokenIndex, ulong? Offsets, ulong? RelativeBase, ulong? Addresses)
{
    /// <summary>The tables VMCOREINFO lists; null when it lacks one that is needed.</summary>
    public static KallsymsLocations? FromVmcoreInfo(VmcoreInfo? info)
    {
        if (info?.Symbol("kallsyms_num_syms") is not { } count
            || info.Symbol("kallsyms_names") is not { } names
            || info.Symbol("kallsyms_token_table") is not { } table
            || info.Symbol("kallsyms_token_index") is not { } index)
        {
            return null;
        }

        var offsets = info.Symbol("kallsyms_offsets");
        var addresses = info.Symbol("kallsyms_addresses");
        return offsets is null && addresses is null
            ? null
            : new KallsymsLocations(count, names, table, index, offsets, info.Symbol("kallsyms_relative_base"), addresses);
    }

    /// <summary>What VMCOREINFO lacks for <see cref="FromVmcoreInfo"/>, for a warning.</summary>
    public static string Missing(VmcoreInfo? info)
    {
        if (info is null)
        {
            return "the dump has no VMCOREINFO";
        }

        var missing = ((string[])["kallsyms_num_syms", "kallsyms_names", "kallsyms_token_table", "kallsyms_token_index"])
            .Where(n => info.Symbol(n) is null).ToList();
        if (info.Symbol("kallsyms_offsets") is null && info.Symbol("kallsyms_addresses") is null)
        {
            missing.Add("kallsyms_offsets");
        }

        return missing.Count == 0 ? "nothing" : "VMCOREINFO has no SYMBOL(" + string.Join("), SYMBOL(", missing) + ") (Linux v6.0 added them)";
    }
}
