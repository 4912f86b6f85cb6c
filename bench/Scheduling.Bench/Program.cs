using Scheduling.Bench;

// dotnet run -c Release --project bench/Scheduling.Bench -- booking [--rounds N]
// dotnet run -c Release --project bench/Scheduling.Bench -- subscribers [--subscribers N] [--events N]
int Option(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(fallback);
var rounds = Option("--rounds", 5);
var benchmark = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "booking";
switch (benchmark)
{
    case "booking":
        await BookingContentionBenchmark.RunAsync(rounds);
        break;
    case "subscribers":
        await SubscriberFanOutBenchmark.RunAsync(Option("--subscribers", 1000), Option("--events", 20));
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{benchmark}'. Known: booking, subscribers");
        return 2;
}

return 0;
