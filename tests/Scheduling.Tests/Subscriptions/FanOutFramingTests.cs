using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CsCheck;
using GraphQL;
using GraphQL.SystemTextJson;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.GraphQLSse;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// An event is serialized once per group and its bytes go into every member's frame as they are: a graphql-ws
/// <c>next</c> is the operation's own head, the shared result, and a closing brace; an event stream's <c>next</c> is
/// the same for every stream, so it is made once per result. The frames read exactly as the protocols' messages.
/// And a connection's queue writes a message on the thread that queues it while its writer is idle, so fanning an
/// event out costs no thread-pool hop per member, without ever making the queuing thread wait for a slow client.
/// One member that fails on an event is told so, and never keeps the event from the others.
/// </summary>
public sealed class FanOutFramingTests
{
    /// <summary>Any text, quotes, backslashes, line breaks, non-ASCII and lone surrogates included.</summary>
    private static readonly Gen<string> AnyText = Gen.OneOf(Gen.String, Gen.String[Gen.Char["\"\\\n\r{}é😀 "], 0, 12], Gen.Const("1"));

    [Fact]
    public void A_next_around_a_shared_result_is_the_message_graphql_ws_formats()
    {
        Gen.Select(AnyText, AnyText).Sample(pair =>
        {
            var (id, text) = pair;
            var result = JsonSerializer.Serialize(new { data = new { text } });
            var frame = OperationMessage.Next.Frame(OperationMessage.Next.Head(id), Encoding.UTF8.GetBytes(result));
            var bytes = new byte[frame.Length];
            frame.CopyTo(bytes);
            return bytes.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(new OperationMessage.Next(id, result).Format()));
        });
    }

    [Fact]
    public void An_event_stream_next_reads_as_the_protocol_says_and_is_made_once_for_every_stream_it_goes_to()
    {
        Gen.Select(AnyText, Gen.OneOf(AnyText.Select(t => (string?)t), Gen.Const((string?)null))).Sample(pair =>
        {
            var (text, id) = pair;
            // Serialized JSON (one line), and text with line breaks (an errors result as a transport words it).
            foreach (var result in new[] { JsonSerializer.Serialize(new { data = new { text } }), text })
            {
                var shared = SerializedResult.Of(result, id);
                var first = SseMessage.Next(shared).Encode();
                var second = SseMessage.Next(shared).Encode();
                if (!first.Span.SequenceEqual(Encoding.UTF8.GetBytes(EventStreamNext(result, id))) || !SameArray(first, second))
                {
                    return false;
                }
            }

            return true;
        });
    }

    [Fact]
    public async Task A_message_queued_while_the_writer_is_idle_is_written_by_the_thread_that_queues_it()
    {
        var queue = new SendQueue<int>(10);
        var written = new List<(int Item, int Thread)>();
        var draining = queue.DrainAsync((item, _) =>
        {
            written.Add((item, Environment.CurrentManagedThreadId));
            return ValueTask.CompletedTask;
        }, _ => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal(SendQueue<int>.Outcome.Queued, queue.Enqueue(1));
        Assert.Equal(new[] { (1, Environment.CurrentManagedThreadId) }, written); // already written, here
        Assert.Equal(SendQueue<int>.Outcome.Queued, queue.Enqueue(2));
        Assert.Equal(new[] { 1, 2 }, written.Select(w => w.Item));
        queue.Complete();
        await draining.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_write_that_has_to_wait_never_holds_up_the_thread_that_queues_and_order_is_kept()
    {
        var queue = new SendQueue<int>(10);
        var client = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var written = new List<int>();
        var draining = queue.DrainAsync(async (item, _) =>
        {
            written.Add(item);
            if (item == 1)
            {
                await client.Task; // the client does not read for now
            }
        }, _ => ValueTask.CompletedTask, CancellationToken.None);

        var queuing = Task.Run(() => new[] { queue.Enqueue(1), queue.Enqueue(2), queue.Enqueue(3) });
        Assert.All(await queuing.WaitAsync(TimeSpan.FromSeconds(5)), o => Assert.Equal(SendQueue<int>.Outcome.Queued, o));
        // The first write may start on the queuing thread or on the drainer's, a moment later on a loaded machine:
        // wait for it, then nothing after it may have been written while it waits on its client.
        var waited = Stopwatch.StartNew();
        while (Volatile.Read(ref written).Count == 0 && waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10);
        }

        await Task.Delay(50);
        Assert.Equal(new[] { 1 }, written);

        client.SetResult();
        queue.Complete();
        await draining.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { 1, 2, 3 }, written);
    }

    [Fact]
    public async Task Messages_queued_from_many_threads_while_writes_sometimes_wait_are_each_written_once_in_each_thread_s_order()
    {
        for (var round = 0; round < 20; round++)
        {
            const int Threads = 4;
            const int Each = 2000;
            var queue = new SendQueue<(int Thread, int N)>(Threads * Each);
            var written = new List<(int Thread, int N)>();
            var writes = 0;
            var draining = queue.DrainAsync(async (item, _) =>
            {
                lock (written)
                {
                    written.Add(item);
                }

                // Now and then a write has to wait (a client's socket is full): the writer carries on later, elsewhere.
                if (Interlocked.Increment(ref writes) % 97 == 0)
                {
                    await Task.Yield();
                }
            }, _ =>
            {
                // A flush takes a moment (an event stream's): messages queued meanwhile find the writer's place taken.
                Thread.SpinWait(200);
                return ValueTask.CompletedTask;
            }, CancellationToken.None);

            using var start = new Barrier(Threads);
            await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
            {
                start.SignalAndWait();
                for (var n = 0; n < Each; n++)
                {
                    Assert.Equal(SendQueue<(int, int)>.Outcome.Queued, queue.Enqueue((t, n)));
                }
            })));

            // Nothing left behind: every message is written without anything else being queued to push it out.
            var waited = Stopwatch.StartNew();
            while (Volatile.Read(ref writes) < Threads * Each && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(5);
            }

            Assert.Equal(Threads * Each, Volatile.Read(ref writes));
            queue.Complete();
            await draining.WaitAsync(TimeSpan.FromSeconds(10));
            lock (written)
            {
                Assert.Equal(Threads * Each, written.Count);
                foreach (var thread in written.GroupBy(w => w.Thread))
                {
                    Assert.Equal(Enumerable.Range(0, Each), thread.Select(w => w.N));
                }
            }
        }
    }

    [Fact]
    public async Task Closing_ends_the_writer_whether_it_waits_for_messages_or_for_the_client_and_nothing_more_is_written()
    {
        using var idle = new CancellationTokenSource();
        var idleQueue = new SendQueue<int>(10);
        var idleDrain = idleQueue.DrainAsync((_, _) => ValueTask.CompletedTask, _ => ValueTask.CompletedTask, idle.Token);
        await idle.CancelAsync();
        await WaitEndedAsync(idleDrain);
        Assert.Equal(SendQueue<int>.Outcome.Closed, idleQueue.Enqueue(1));

        using var stuck = new CancellationTokenSource();
        var queue = new SendQueue<int>(10);
        var written = new List<int>();
        var draining = queue.DrainAsync(async (item, closing) =>
        {
            written.Add(item);
            await Task.Delay(Timeout.Infinite, closing); // a client that never reads
        }, _ => ValueTask.CompletedTask, stuck.Token);
        queue.Enqueue(1);
        queue.Enqueue(2);
        for (var i = 0; i < 100 && written.Count == 0; i++)
        {
            await Task.Delay(10);
        }

        await stuck.CancelAsync();
        await WaitEndedAsync(draining);
        Assert.Equal(new[] { 1 }, written);
    }

    [Fact]
    public async Task A_member_that_fails_on_an_event_is_told_and_the_others_still_get_it_and_the_next_ones()
    {
        await using var services = new ServiceCollection().BuildServiceProvider();
        var serializer = new GraphQLSerializer();
        var groups = new SubscriptionGroups(services.GetRequiredService<IServiceScopeFactory>(), serializer, Options.Create(new FhirOptions()), Options.Create(new SubscriptionOptions()));
        using var stop = new CancellationTokenSource();
        var group = new SubscriptionGroup(groups, "key", Task.FromResult<SubscriptionGroup?>(null), "field", services.CreateAsyncScope(), stop, serializer);
        var (first, failing, last) = (new Member(), new Member(fails: true), new Member());
        foreach (var member in new[] { first, failing, last })
        {
            group.Add(member);
        }

        group.OnNext(new ExecutionResult { Executed = true, Data = new Dictionary<string, object?> { ["n"] = 1 } });
        group.OnNext(new ExecutionResult { Executed = true, Data = new Dictionary<string, object?> { ["n"] = 2 } });

        Assert.Equal(new[] { """{"data":{"n":1}}""", """{"data":{"n":2}}""" }, first.Received);
        Assert.Equal(first.Received, last.Received);
        Assert.Equal(2, failing.Errors);
    }

    private sealed class Member(bool fails = false) : IObserver<ExecutionResult>
    {
        public List<string> Received { get; } = [];

        public int Errors { get; private set; }

        public void OnNext(ExecutionResult value)
        {
            if (fails)
            {
                throw new InvalidOperationException("this member's connection broke");
            }

            Received.Add(((SharedEventResult)value).Serialized.Json);
        }

        public void OnError(Exception error) => Errors++;

        public void OnCompleted()
        {
        }
    }

    private static async Task WaitEndedAsync(Task draining)
    {
        try
        {
            await draining.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException) when (draining.IsCanceled || draining.IsFaulted)
        {
            // ended by closing
        }
    }

    /// <summary>The Server-Sent Events framing of a graphql-sse <c>next</c>: the id only when it is one line, a <c>data</c> field per line of the result.</summary>
    private static string EventStreamNext(string result, string? id)
    {
        var frame = new StringBuilder("event: next\n");
        if (id is not null && !id.Contains('\n', StringComparison.Ordinal) && !id.Contains('\r', StringComparison.Ordinal))
        {
            frame.Append("id: ").Append(id).Append('\n');
        }

        foreach (var line in result.Split('\n'))
        {
            frame.Append("data: ").Append(line.TrimEnd('\r')).Append('\n');
        }

        return frame.Append('\n').ToString();
    }

    private static bool SameArray(ReadOnlyMemory<byte> one, ReadOnlyMemory<byte> two) =>
        MemoryMarshal.TryGetArray(one, out var a) && MemoryMarshal.TryGetArray(two, out var b) && ReferenceEquals(a.Array, b.Array);
}
