using System.Globalization;
using Kdx.Core;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Model;

namespace Kdx.Cli;

/// <summary>
/// <c>kdx convert</c>: reads a dump in any format Kdx reads and writes a compressed kdump, optionally
/// dropping pages by makedumpfile dump level. The output appears only when complete: it is written under
/// a temporary name in the output's directory and renamed at the end.
/// </summary>
internal sealed class ConvertCommand(ConvertOptions options, TextWriter output, TextWriter error, ConsoleStreams streams)
{
    /// <summary>Runs the command; returns the exit status (0 done, 1 failed).</summary>
    public int Run()
    {
        string? temporary = null;
        try
        {
            CheckFiles();
            using var source = OpenSource(out var filter);
            var writerOptions = KdumpWriterOptions.ForDumpLevel(options.DumpLevel, options.Compression!.Value, filter) with
            {
                Flattened = options.Flattened,
                Progress = streams.ErrorIsTerminal ? new ProgressLine(error) : null,
            };

            KdumpWriteResult result;
            if (options.Output == "-")
            {
                var stdout = streams.StandardOutput ?? throw new KdxException("standard output is not available for the dump");
                result = KdumpWriter.Write(source.Dump, stdout, writerOptions, streams.Cancellation);
            }
            else
            {
                temporary = TemporaryPath(options.Output);
                result = KdumpWriter.Write(source.Dump, temporary, writerOptions, streams.Cancellation);
                Publish(temporary, options.Output, options.Force);
                temporary = null;
            }

            if (writerOptions.Progress is not null)
            {
                error.Write("\r\x1b[K");
            }

            Report(result, filter);
            return 0;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("kdx convert: interrupted; no output written");
            return 130;
        }
        catch (KdxException e)
        {
            error.WriteLine($"kdx convert: {e.Message}");
            return 1;
        }
        finally
        {
            if (temporary is not null)
            {
                TryDelete(temporary);
            }
        }
    }

    private void CheckFiles()
    {
        string outputPath = options.Output;
        if (outputPath == "-")
        {
            return;
        }

        string full = Path.GetFullPath(outputPath);
        foreach (var input in options.Inputs.Append(options.Vmlinux).OfType<string>())
        {
            if (string.Equals(Path.GetFullPath(input), full, StringComparison.Ordinal))
            {
                throw new KdxException($"{outputPath}: the output is also an input");
            }
        }

        if (Directory.Exists(outputPath))
        {
            throw new KdxException($"{outputPath}: is a directory");
        }

        if (File.Exists(outputPath) && !options.Force)
        {
            throw new KdxException($"{outputPath}: exists (use -f to replace it)");
        }

        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new KdxException($"{outputPath}: no such directory {dir}");
        }
    }

    // The dump, and a kernel program over it when the dump level needs the kernel's page structures
    // (or a vmlinux was given, to check it against the dump).
    private OpenedSource OpenSource(out DumpLevelFilter? filter)
    {
        filter = null;
        var dumps = new List<string>();
        string? symbols = options.Vmlinux;
        foreach (var path in options.Inputs)
        {
            switch (DumpFiles.Identify(path))
            {
                case FileKind.ElfCore:
                case FileKind.Kdump:
                case FileKind.Flattened:
                    dumps.Add(path);
                    break;
                case FileKind.Vmlinux:
                case FileKind.SystemMap:
                    symbols = symbols is null ? path : throw new KdxException($"{path}: a second kernel image or System.map (already have {symbols})");
                    break;
                default:
                    throw new KdxException(new FileInfo(path).Length == 0 ? $"{path}: the file is empty" : $"{path}: not a vmcore");
            }
        }

        if (dumps.Count == 0)
        {
            throw new KdxException("no dump among the inputs");
        }

        var openOptions = new DumpOpenOptions { ZeroExcluded = options.ZeroExcluded };
        bool kernelAware = (options.DumpLevel & DumpLevels.KernelAware) != 0;
        if (!kernelAware && symbols is null)
        {
            return new OpenedSource(DumpFiles.Open(dumps, openOptions), null);
        }

        var program = KernelProgram.Open(dumps, symbols, openOptions);
        try
        {
            filter = kernelAware ? DumpLevelFilter.Create(program, options.DumpLevel) : null;
            return new OpenedSource(program.Dump, program);
        }
        catch
        {
            program.Dispose();
            throw;
        }
    }

    private static string TemporaryPath(string outputPath)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(outputPath)) ?? ".";
        string name = $".{Path.GetFileName(outputPath)}.kdx-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        return Path.Combine(dir, name);
    }

    private static void Publish(string temporary, string outputPath, bool force)
    {
        try
        {
            File.Move(temporary, outputPath, overwrite: force);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KdxException(File.Exists(outputPath) && !force
                ? $"{outputPath}: appeared while converting (use -f to replace it)"
                : $"{outputPath}: cannot rename the finished dump into place: {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the name is a hidden temporary next to the output.
        }
    }

    private void Report(KdumpWriteResult r, DumpLevelFilter? filter)
    {
        var ci = CultureInfo.InvariantCulture;
        var report = options.Output == "-" ? error : output; // the dump itself is on standard output
        string where = options.Output == "-" ? "standard output" : options.Output;
        report.WriteLine(string.Create(ci, $"{where}: compressed kdump ({options.Compression!.Value.ToString().ToLowerInvariant()}{(options.Flattened ? ", flattened" : string.Empty)}), dump level {r.DumpLevel}, {r.FileSize} bytes"));
        report.WriteLine(string.Create(ci, $"  pages written  {r.DumpedPages} ({r.ZeroPages} of zeros, {r.CompressedPages} compressed)"));
        if (filter is not null)
        {
            var c = filter.Counts;
            report.WriteLine(string.Create(ci, $"  pages dropped  {r.FilteredPages}: cache {c[PageClass.Cache]}, cache with private data {c[PageClass.CachePrivate]}, user data {c[PageClass.User]}, free {c[PageClass.Free]}, hwpoison {c[PageClass.HwPoison]}, offline {c[PageClass.Offline]}"));
            if (c[PageClass.Unreadable] > 0)
            {
                error.WriteLine(string.Create(ci, $"kdx convert: warning: kept {c[PageClass.Unreadable]} pages whose struct page could not be read"));
            }
        }

        if (r.SourceExcludedPages > 0)
        {
            report.WriteLine(string.Create(ci, $"  pages the input had excluded  {r.SourceExcludedPages} (still excluded)"));
        }

        if (r.UnreadablePages > 0)
        {
            error.WriteLine(string.Create(ci, $"kdx convert: warning: {r.UnreadablePages} pages could not be read and are marked excluded (first at {r.FirstUnreadable})"));
        }
    }

    private sealed class OpenedSource(DumpFile dump, KernelProgram? program) : IDisposable
    {
        public DumpFile Dump => dump;

        public void Dispose()
        {
            if (program is not null)
            {
                program.Dispose();
            }
            else
            {
                dump.Dispose();
            }
        }
    }

    // One line on a terminal, rewritten at most every percent.
    private sealed class ProgressLine(TextWriter error) : IProgress<KdumpWriteProgress>
    {
        private long _shown = -1;

        public void Report(KdumpWriteProgress value)
        {
            long percent = value.PagesTotal == 0 ? 100 : value.PagesDone * 100 / value.PagesTotal;
            if (percent == _shown)
            {
                return;
            }

            _shown = percent;
            error.Write(string.Create(CultureInfo.InvariantCulture, $"\rkdx convert: {percent,3}% ({value.PagesDone} of {value.PagesTotal} pages)"));
            error.Flush();
        }
    }
}

/// <summary>What the program knows about its console besides the text streams.</summary>
/// <param name="StandardOutput">The binary standard output, for a flattened dump written to '-'.</param>
/// <param name="ErrorIsTerminal">Whether standard error is a terminal (progress is shown only then).</param>
/// <param name="Cancellation">Cancelled on Ctrl-C.</param>
internal sealed record ConsoleStreams(Stream? StandardOutput, bool ErrorIsTerminal, CancellationToken Cancellation);
