namespace Kdx.Core.Debug.Dwarf;

/// <summary>What a unit header fixes for every DIE in it: the DWARF version and the sizes of addresses and offsets.</summary>
/// <param name="Version">The DWARF version (2 to 5).</param>
/// <param name="AddressSize">The size of a target address (8 on x86_64).</param>
/// <param name="OffsetSize">4 for 32-bit DWARF, 8 for 64-bit DWARF.</param>
internal readonly record struct UnitFormat(byte Version, byte AddressSize, byte OffsetSize);
