using Scheduling.Schema.DataLoading;

namespace Scheduling.Tests.DataLoading;

public sealed class BatchDataLoaderTests
{
    [Fact]
    public async Task Keys_queued_before_the_first_result_is_awaited_are_fetched_in_one_batch()
    {
        var loader = new RecordingLoader(batching: true);
        var results = new[] { "a", "b", "a", "c" }.Select(loader.Load).ToList();

        Assert.Empty(loader.Batches); // nothing is fetched until a result is awaited
        var values = new List<string>();
        foreach (var result in results)
        {
            values.Add(await result.GetResultAsync());
        }

        Assert.Equal(["A", "B", "A", "C"], values);
        Assert.Equal(["a", "b", "c"], Assert.Single(loader.Batches));
    }

    [Fact]
    public async Task A_key_loaded_again_later_in_the_request_is_not_fetched_again()
    {
        var loader = new RecordingLoader(batching: true);
        await loader.Load("a").GetResultAsync();
        Assert.Equal("A", await loader.Load("a").GetResultAsync());
        Assert.Equal("D", await loader.Load("d").GetResultAsync());

        Assert.Equal([["a"], ["d"]], loader.Batches);
    }

    [Fact]
    public async Task Primed_values_are_served_without_a_fetch_and_missing_keys_get_the_missing_value()
    {
        var loader = new RecordingLoader(batching: true);
        loader.Prime("p", "primed");
        Assert.Equal("primed", await loader.Load("p").GetResultAsync());
        Assert.Equal("<none>", await loader.Load("missing").GetResultAsync());
        Assert.Equal(["missing"], Assert.Single(loader.Batches));
    }

    [Fact]
    public async Task A_failed_fetch_fails_the_fields_of_its_group_only()
    {
        var loader = new RecordingLoader(batching: true) { FailOn = "bad", GroupByFirstLetter = true };
        var sameGroup = loader.Load("bad-neighbour");
        var bad = loader.Load("bad");
        var otherGroup = loader.Load("good");

        await Assert.ThrowsAsync<InvalidOperationException>(() => bad.GetResultAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => sameGroup.GetResultAsync());
        Assert.Equal("GOOD", await otherGroup.GetResultAsync());
        Assert.Equal(2, loader.Batches.Count); // one dispatch, two groups fetched in parallel
        Assert.Equal("OTHER", await loader.Load("other").GetResultAsync());
    }

    [Fact]
    public async Task Load_many_keeps_the_keys_order_in_one_batch()
    {
        var loader = new RecordingLoader(batching: true);
        var many = await loader.LoadMany(["z", "y", "x"]).GetResultAsync();
        Assert.Equal(["Z", "Y", "X"], many);
        Assert.Single(loader.Batches);
    }

    [Fact]
    public async Task With_batching_off_every_load_is_its_own_fetch()
    {
        var loader = new RecordingLoader(batching: false);
        var results = new[] { "a", "b", "a" }.Select(loader.Load).ToList();
        foreach (var result in results)
        {
            await result.GetResultAsync();
        }

        Assert.Equal(3, loader.Batches.Count);
    }

    private sealed class RecordingLoader(bool batching) : BatchDataLoader<string, string>(new DataLoaderOptions { Batching = batching })
    {
        public List<List<string>> Batches { get; } = [];

        public string? FailOn { get; init; }

        public bool GroupByFirstLetter { get; init; }

        protected override string MissingValue => "<none>";

        protected override string GroupOf(string key) => GroupByFirstLetter ? key[..1] : string.Empty;

        protected override async Task<IReadOnlyDictionary<string, string>> FetchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            await Task.Yield();
            lock (Batches)
            {
                Batches.Add([.. keys]);
            }

            if (FailOn is not null && keys.Contains(FailOn))
            {
                throw new InvalidOperationException("upstream failed");
            }

            return keys.Where(k => k != "missing").ToDictionary(k => k, k => k.ToUpperInvariant());
        }
    }
}
