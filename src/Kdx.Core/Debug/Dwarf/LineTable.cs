namespace Kdx.Core.Debug.Dwarf;

/// <summary>One row of a line table.</summary>
/// <param name="Address">The address of the first instruction of the row.</param>
/// <param name="File">The file number (an index into <see cref="LineTable.Files"/>).</param>
/// <param name="Line">The source line (0: no line).</param>
/// <param name="IsStatement">Whether the row starts a statement (DW_LNS_negate_stmt toggles it).</param>
/// <param name="EndSequence">Whether the row ends a sequence: its address is just past the sequence's last instruction.</param>
internal readonly record struct LineRow(ulong Address, int File, int Line, bool IsStatement, bool EndSequence);

/// <summary>
/// The decoded line program of one unit (DWARF 5 §6.2): its file names and its rows, sorted by sequence
/// start address, each sequence's rows in program order.
/// </summary>
internal sealed class LineTable
{
    private readonly (ulong Start, ulong End, int First, int Count)[] _sequences;

    public LineTable(IReadOnlyList<string> files, LineRow[] rows, (ulong Start, ulong End, int First, int Count)[] sequences)
    {
        Files = files;
        Rows = rows;
        _sequences = sequences;
    }

    /// <summary>The file names by file number (relative names joined with their directory and the compilation directory).</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>All rows, grouped by sequence.</summary>
    public IReadOnlyList<LineRow> Rows { get; }

    /// <summary>The sequences: their address range and their rows.</summary>
    public IReadOnlyList<(ulong Start, ulong End, int First, int Count)> Sequences => _sequences;

    /// <summary>
    /// The row that describes <paramref name="address"/>: in the sequence holding it, the last row whose
    /// address is at most the address (as gdb's find_pc_line picks it), skipping rows with line 0.
    /// </summary>
    public bool TryFind(ulong address, out LineRow row)
    {
        row = default;
        int lo = 0, hi = _sequences.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_sequences[mid].Start <= address)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Sequences may overlap when a unit has several (e.g. .text and .init.text); look back a little.
        for (int s = found; s >= 0 && s > found - 8; s--)
        {
            var seq = _sequences[s];
            if (address < seq.Start || address >= seq.End)
            {
                continue;
            }

            int best = -1;
            int first = seq.First, last = seq.First + seq.Count - 1;
            int l = first, h = last;
            while (l <= h)
            {
                int mid = (l + h) >>> 1;
                if (Rows[mid].Address <= address)
                {
                    best = mid;
                    l = mid + 1;
                }
                else
                {
                    h = mid - 1;
                }
            }

            if (best < 0 || Rows[best].EndSequence || Rows[best].Line == 0)
            {
                return false;
            }

            // gdb: landing on a non-statement row, prefer a statement row at the same address.
            if (!Rows[best].IsStatement)
            {
                int t = best;
                while (t > first && Rows[t - 1].Address == Rows[t].Address && Rows[t - 1].Line != 0 && !Rows[t].IsStatement)
                {
                    t--;
                }

                if (Rows[t].IsStatement)
                {
                    best = t;
                }
            }

            row = Rows[best];
            return true;
        }

        return false;
    }
}
