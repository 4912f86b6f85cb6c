using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Fhir;

/// <summary>
/// The REST store's GETs are sent for their headers only and their bodies read once into a pooled array
/// (<see cref="ResponseBytes"/>), where HttpClient used to buffer them into a stream of its own first. What that
/// buffering gave stays: a body that comes in pieces of unknown length is the same resource, a connection that fails
/// mid-body and a body that stalls past the client's timeout fail as HttpClient's buffering failed (so the store maps
/// them to "unavailable" as before), a body that is not read as Firely's reads it goes to Firely intact; and the body
/// is no longer copied (the transport's own allocation is a fraction of the body's size).
/// </summary>
public sealed class ResponseBytesTests
{
    private static readonly Uri Base = new("http://fhir.test/fhir/");
    private static readonly Uri Search = new(Base, "Slot?schedule=Schedule%2Fx");

    private static FhirClientSettings Settings() => new()
    {
        PreferredFormat = ResourceFormat.Json,
        VerifyFhirVersion = false,
        ReturnPreference = ReturnPreference.Representation,
        SerializationEngine = FhirJson.Engine,
    };

    private static string Bundle(int entries) =>
        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":" + entries + ",\"entry\":[" +
        string.Join(",", Enumerable.Range(0, entries).Select(i =>
            "{\"fullUrl\":\"http://fhir.test/fhir/Slot/s" + i + "\",\"resource\":{\"resourceType\":\"Slot\",\"id\":\"s" + i +
            "\",\"schedule\":{\"reference\":\"Schedule/x\"},\"status\":\"free\",\"start\":\"2026-01-01T09:00:00Z\",\"end\":\"2026-01-01T09:30:00Z\"},\"search\":{\"mode\":\"match\"}}")) +
        "]}";

    [Theory]
    [InlineData(1, 1)]
    [InlineData(40, 7)]
    [InlineData(2_000, 1_000)]
    [InlineData(2_000, 65_536)]
    public async System.Threading.Tasks.Task A_body_of_unknown_length_in_pieces_is_the_resource_the_whole_body_is(int entries, int piece)
    {
        var body = Encoding.UTF8.GetBytes(Bundle(entries));
        var whole = await new FhirResponses(new HttpClient(new Answer(_ => new ByteArrayContent(body))), Base, Settings()).GetAsync(Search, CancellationToken.None);
        var pieces = new FhirResponses(new HttpClient(new Answer(_ => new StreamContent(new Trickle(body, piece, failAfter: null)))), Base, Settings());

        var read = await pieces.GetAsync(Search, CancellationToken.None);

        Assert.Equal(new FhirJsonSerializer().SerializeToString(whole!), new FhirJsonSerializer().SerializeToString(read!));
        Assert.Equal(entries, ((Bundle)read!).Entry.Count);
        Assert.Equal(0, pieces.HandedToFirely);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_body_Firely_must_read_reaches_it_whole_after_it_was_read_here()
    {
        // Parsed here it fails (a cut body); Firely gets the same bytes and throws its own exception, as it did before.
        var body = Encoding.UTF8.GetBytes(Bundle(300)[..20_000] + "}");
        using var direct = new HttpClient(new Answer(_ => new ByteArrayContent(body)));
        var firely = await Record(() => new FhirClient(Base, direct, Settings()).GetAsync(Search));
        var reads = new FhirResponses(new HttpClient(new Answer(_ => new StreamContent(new Trickle(body, 3_000, failAfter: null)))), Base, Settings());

        var now = await Record(() => reads.GetAsync(Search, CancellationToken.None));

        Assert.StartsWith("threw", firely, StringComparison.Ordinal);
        Assert.Equal(firely, now);
        Assert.Equal(1, reads.HandedToFirely);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_connection_that_fails_mid_body_fails_as_HttpClients_buffering_did_and_the_store_calls_it_unavailable()
    {
        var body = Encoding.UTF8.GetBytes(Bundle(200));
        Answer Failing() => new(_ => new StreamContent(new Trickle(body, 4_000, failAfter: 10_000)));
        using var buffered = new HttpClient(Failing());
        var before = await Assert.ThrowsAnyAsync<Exception>(async () => await buffered.SendAsync(new HttpRequestMessage(HttpMethod.Get, Search)));

        var now = await Assert.ThrowsAnyAsync<Exception>(() => new FhirResponses(new HttpClient(Failing()), Base, Settings()).GetAsync(Search, CancellationToken.None));

        Assert.IsType<HttpRequestException>(before);
        Assert.IsType<HttpRequestException>(now);
        Assert.IsAssignableFrom<IOException>(now.InnerException);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_body_that_stalls_past_the_clients_timeout_ends_as_HttpClients_buffering_ended()
    {
        var body = Encoding.UTF8.GetBytes(Bundle(50));
        Answer Stalling() => new(_ => new StreamContent(new Trickle(body, 1_000, failAfter: null, stallAfter: 2_000)));
        using var buffered = new HttpClient(Stalling()) { Timeout = TimeSpan.FromMilliseconds(300) };
        var before = await Assert.ThrowsAnyAsync<Exception>(async () => await buffered.SendAsync(new HttpRequestMessage(HttpMethod.Get, Search)));

        var now = await Assert.ThrowsAnyAsync<Exception>(() =>
            new FhirResponses(new HttpClient(Stalling()) { Timeout = TimeSpan.FromMilliseconds(300) }, Base, Settings()).GetAsync(Search, CancellationToken.None));

        Assert.IsType<TaskCanceledException>(before);
        Assert.IsType<TimeoutException>(before.InnerException);
        Assert.IsType<TaskCanceledException>(now);
        Assert.IsType<TimeoutException>(now.InnerException);
    }

    [Fact]
    public async System.Threading.Tasks.Task The_body_is_not_copied_on_its_way_to_the_reader()
    {
        var body = Encoding.UTF8.GetBytes(Bundle(600));
        var reads = new FhirResponses(new HttpClient(new Answer(_ => new ByteArrayContent(body))), Base, Settings());
        for (var i = 0; i < 3; i++)
        {
            await reads.GetAsync(Search, CancellationToken.None); // warm: pools, JIT
            Parse(body);
        }

        // Everything completes synchronously (canned answer), so this thread's allocations are the whole GET's.
        var start = GC.GetAllocatedBytesForCurrentThread();
        var task = reads.GetAsync(Search, CancellationToken.None);
        var get = GC.GetAllocatedBytesForCurrentThread() - start;
        Assert.True(task.IsCompletedSuccessfully);
        start = GC.GetAllocatedBytesForCurrentThread();
        Parse(body);
        var parse = GC.GetAllocatedBytesForCurrentThread() - start;

        // The transport's share (request, headers, response) is small; a copy of the body would be at least its size.
        Assert.True(get - parse < body.Length / 4, $"the GET allocated {get - parse} bytes besides parsing a {body.Length}-byte body");
    }

    private static Resource? Parse(byte[] body)
    {
        var reader = new System.Text.Json.Utf8JsonReader(body, SerializationUtil.FhirJsonReaderOptions);
        return Scheduling.Schema.Fhir.Reading.FhirJsonReader.Deserialize(ref reader);
    }

    private static async Task<string> Record(Func<Task<Resource?>> get)
    {
        try
        {
            var resource = await get();
            return "OK " + (resource is null ? "null" : new FhirJsonSerializer().SerializeToString(resource));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return $"threw {e.GetType().Name}: {e.Message} status={(e as FhirOperationException)?.Status}";
        }
    }

    /// <summary>A 200 of FHIR JSON with the content the test gives.</summary>
    private sealed class Answer(Func<HttpRequestMessage, HttpContent> content) : HttpMessageHandler
    {
        protected override System.Threading.Tasks.Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = content(request);
            body.Headers.TryAddWithoutValidation("Content-Type", "application/fhir+json; charset=utf-8");
            return System.Threading.Tasks.Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = body, RequestMessage = request });
        }
    }

    /// <summary>
    /// A body of no known length that comes in pieces, each after the caller has had to wait; it may fail (the
    /// connection reset) or stall (the server stops sending) after some bytes.
    /// </summary>
    private sealed class Trickle(byte[] body, int piece, int? failAfter, int? stallAfter = null) : Stream
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await System.Threading.Tasks.Task.Yield();
            if (_position >= failAfter)
            {
                throw new IOException("The connection was reset.");
            }

            if (_position >= stallAfter)
            {
                await _disposed.Task.WaitAsync(cancellationToken);
                throw new ObjectDisposedException(nameof(Trickle));
            }

            var count = Math.Min(Math.Min(piece, buffer.Length), body.Length - _position);
            body.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
