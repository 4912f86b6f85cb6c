using Scheduling.Bench;

// dotnet run -c Release --project bench/Scheduling.Bench -- booking [--rounds N]
// dotnet run -c Release --project bench/Scheduling.Bench -- booking-compare [--before COMMIT] [--core COMMIT] [--rounds N] [--clients N]
// dotnet run -c Release --project bench/Scheduling.Bench -- subscribers [--subscribers N] [--events N]
// dotnet run -c Release --project bench/Scheduling.Bench -- subscribers-medplum [--latency-ms N]
// dotnet run -c Release --project bench/Scheduling.Bench -- subscribers-shared [--subscribers N] [--events N] [--latency-ms N] [--sharing on|off] [--redis-timeout-ms N] [--gateway-dll PATH] [--carried-seconds N]
// dotnet run -c Release --project bench/Scheduling.Bench -- fanout [--members N] [--events N] [--sharing on|off]
// dotnet run -c Release --project bench/Scheduling.Bench -- queries [--latency-ms N] [--iterations N]
// dotnet run -c Release --project bench/Scheduling.Bench -- wire [--latency-ms N] [--iterations N]
// dotnet run -c Release --project bench/Scheduling.Bench -- overhead [--iterations N] [--gateway "no cache"|"warm cache"|"planned, no cache"]
// dotnet run -c Release --project bench/Scheduling.Bench -- createslots [--days N] [--medplum 1]
// dotnet run -c Release --project bench/Scheduling.Bench -- availability [--iterations N]
// dotnet run -c Release --project bench/Scheduling.Bench -- parse [--iterations N]
int Option(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(fallback);
string? Text(string name, string? fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault(fallback);
var rounds = Option("--rounds", 5);
var benchmark = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "booking";
switch (benchmark)
{
    case "booking":
        await BookingContentionBenchmark.RunAsync(rounds);
        break;
    case "booking-compare":
        await BookingBeforeAfterBenchmark.RunAsync(
            [("before", Text("--before", "2f83bf1")), .. Text("--core", null) is { } core ? [("core", core)] : Array.Empty<(string, string?)>(), ("after", null)],
            Option("--rounds", 3), Option("--clients", 100));
        break;
    case "queries":
        await QueryBenchmark.RunAsync(Option("--latency-ms", 5), Option("--iterations", 200));
        break;
    case "wire":
        await WireBenchmark.RunAsync(Option("--latency-ms", 5), Option("--iterations", 200));
        break;
    case "overhead":
        await OverheadBenchmark.RunAsync(Option("--iterations", 300), Text("--gateway", null));
        break;
    case "subscribers":
        await SubscriberFanOutBenchmark.RunAsync(Option("--subscribers", 1000), Option("--events", 20));
        break;
    case "subscribers-medplum":
        await MedplumFanOutBenchmark.RunAsync([1, 10, 200, 1000], Option("--latency-ms", 5));
        break;
    case "subscribers-shared":
        await SharedSubscribersBenchmark.RunAsync(
            Option("--subscribers", 10_000), Option("--events", 10), Option("--latency-ms", 5), Text("--sharing", "on") != "off", Option("--redis-timeout-ms", 0), Text("--gateway-dll", null), Option("--carried-seconds", -1));
        break;
    case "fanout":
        await InProcessFanOutBenchmark.RunAsync(Option("--members", 5000), Option("--events", 20), Text("--sharing", "on") != "off");
        break;
    case "availability":
        await AvailabilityBenchmark.RunAsync(Option("--iterations", 50));
        break;
    case "parse":
        await ParseBenchmark.RunAsync(Option("--iterations", 500));
        break;
    case "createslots":
        await CreateSlotsBenchmark.RunAsync(Option("--days", 92), Option("--medplum", 0) == 1);
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{benchmark}'. Known: booking, booking-compare, subscribers, fanout, subscribers-medplum, subscribers-shared, queries, wire, overhead, createslots, availability, parse");
        return 2;
}

return 0;
