using Scheduling.Bench;

// dotnet run -c Release --project bench/Scheduling.Bench -- booking [--rounds N]
var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(5);
var benchmark = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "booking";
switch (benchmark)
{
    case "booking":
        await BookingContentionBenchmark.RunAsync(rounds);
        break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{benchmark}'. Known: booking");
        return 2;
}

return 0;
