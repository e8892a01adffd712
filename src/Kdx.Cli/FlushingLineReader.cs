using System.Text;

namespace Kdx.Cli;

/// <summary>
/// Reads command lines from a pipe or file and calls <c>beforeBlocking</c> (which flushes the output)
/// just before a read that may wait for more input — as C stdio flushes stdout before reading stdin.
/// A batch of commands then costs a few large writes, while a program that sends one command and
/// waits for the answer still gets it.
/// </summary>
internal sealed class FlushingLineReader(Stream input, Action beforeBlocking) : TextReader
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;

    public override string? ReadLine()
    {
        var pending = new List<byte>();
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                pending.AddRange(new ArraySegment<byte>(_buffer, _start, nl - _start));
                _start = nl + 1;
                return Decode(pending);
            }

            pending.AddRange(new ArraySegment<byte>(_buffer, _start, _end - _start));
            _start = _end = 0;
            if (_eof)
            {
                return pending.Count > 0 ? Decode(pending) : null;
            }

            beforeBlocking();
            int n = input.Read(_buffer, 0, _buffer.Length);
            if (n <= 0)
            {
                _eof = true;
            }
            else
            {
                _end = n;
            }
        }
    }

    private static string Decode(List<byte> bytes)
    {
        var s = Encoding.UTF8.GetString(bytes.ToArray());
        return s.EndsWith('\r') ? s[..^1] : s;
    }
}
