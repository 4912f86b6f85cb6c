using System.Buffers;
using System.IO.Pipelines;
using GraphQL;

namespace Scheduling.Gateway.GraphQLHttp;

/// <summary>
/// An answer written as one piece: the serializer writes it into the response's pipe without flushing, and the pipe is
/// flushed once at the end. Streaming it (the serializer flushing the socket every 16 KB, each an asynchronous write)
/// cost a sixth of a week view's time in the gateway; the bytes are the serializer's own either way.
/// </summary>
internal static class ResponseBody
{
    public static async Task WriteAsync(IGraphQLTextSerializer serializer, PipeWriter body, ExecutionResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(body);
        await using (var unflushed = new UnflushedStream(body))
        {
            await serializer.WriteAsync(unflushed, result, cancellationToken);
        }

        await body.FlushAsync(cancellationToken);
    }

    /// <summary>Copies writes into the pipe's memory; flushing is left to the pipe's owner.</summary>
    private sealed class UnflushedStream(PipeWriter pipe) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer) => pipe.Write(buffer);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
