using System.Buffers;
using System.Globalization;

namespace Scheduling.Schema.Fhir;

/// <summary>
/// A response's body read whole into one pooled array, from a response sent for its headers only
/// (<see cref="HttpCompletionOption.ResponseHeadersRead"/>): no HttpClient buffer in between to copy it out of.
/// What HttpClient's own buffering guaranteed still holds: the read ends at the client's <see cref="HttpClient.Timeout"/>
/// (a <see cref="TaskCanceledException"/> with a <see cref="TimeoutException"/> inside, as HttpClient throws) and a
/// connection that fails mid-body is an <see cref="HttpRequestException"/>. The array is cleared when returned: it
/// held patients' data.
/// </summary>
internal sealed class ResponseBytes : IDisposable
{
    private const int FirstRead = 16 * 1024;

    /// <summary>A declared length is trusted this far up front; past it, the array grows as the bytes come.</summary>
    private const int MostUpFront = 1024 * 1024;

    private byte[]? _buffer;
    private int _length;

    private ResponseBytes(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public static async Task<ResponseBytes> ReadAsync(HttpResponseMessage response, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var declared = response.Content.Headers.ContentLength;
        if (declared > Array.MaxLength)
        {
            throw new HttpRequestException(string.Create(CultureInfo.InvariantCulture, $"Cannot buffer a response body of {declared} bytes."));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(declared is { } size and > 0 ? (int)Math.Min(size, MostUpFront) : FirstRead);
        var length = 0;
        var kept = false;
        CancellationTokenSource? timer = null;
        var abort = default(CancellationTokenRegistration);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            while (length != declared)
            {
                if (length == buffer.Length)
                {
                    buffer = Grow(buffer, length);
                }

                var pending = stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (!pending.IsCompleted && timer is null)
                {
                    // Only a body that is not there yet pays for a timer: on the deadline the response is dropped,
                    // which ends the read.
                    timer = new CancellationTokenSource(timeout);
                    abort = timer.Token.UnsafeRegister(static r => ((HttpResponseMessage)r!).Dispose(), response);
                }

                var read = await pending;
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            kept = true;
            return new ResponseBytes(buffer, length);
        }
        catch (Exception e) when (timer?.IsCancellationRequested == true && !cancellationToken.IsCancellationRequested)
        {
            throw new TaskCanceledException(
                string.Create(CultureInfo.InvariantCulture, $"The request was canceled due to the configured HttpClient.Timeout of {timeout.TotalSeconds} seconds elapsing."),
                new TimeoutException(e.Message, e));
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException("Error while copying content to a stream.", e);
        }
        finally
        {
            await abort.DisposeAsync();
            timer?.Dispose();
            if (!kept)
            {
                Return(buffer, length);
            }
        }
    }

    /// <summary>Puts the bytes back as the response's content (same headers), for a reader that wants the answer as it came.</summary>
    public void HandBack(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var content = new ByteArrayContent(Span.ToArray());
        foreach (var header in response.Content.Headers)
        {
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content.Dispose();
        response.Content = content;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            Return(buffer, _length);
        }
    }

    private static byte[] Grow(byte[] buffer, int length)
    {
        if (buffer.Length >= Array.MaxLength)
        {
            throw new HttpRequestException(string.Create(CultureInfo.InvariantCulture, $"Cannot buffer a response body of more than {Array.MaxLength} bytes."));
        }

        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Array.MaxLength));
        buffer.AsSpan(0, length).CopyTo(larger);
        Return(buffer, length);
        return larger;
    }

    private static void Return(byte[] buffer, int length)
    {
        buffer.AsSpan(0, length).Clear();
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
