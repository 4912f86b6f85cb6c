using Scheduling.Bench;

// dotnet run -c Release --project bench/Scheduling.Bench -- booking [--rounds N]
// dotnet run -c Release --project bench/Scheduling.Bench -- subscribers [--subscribers N] [--events N]
// dotnet run -c Release --project bench/Scheduling.Bench -- queries [--latency-ms N] [--iterations N]
int Option(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(fallback);
var rounds = Option("--rounds", 5);
var benchmark = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "booking";
switch (benchmark)
{
    case "booking":
        await BookingContentionBenchmark.RunAsync(rounds);
        break;
    case "queries":
        await QueryBenchmark.RunAsync(Option("--latency-ms", 5), Option("--iterations", 200));
        break;
    case "subscribers":
        await SubscriberFanOutBenchmark.RunAsync(Option("--subscribers", 1000), Option("--events", 20));
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{benchmark}'. Known: booking, subscribers, queries");
        return 2;
}

return 0;
