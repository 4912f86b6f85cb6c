using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Booking.Waitlist;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Schema.Waitlist;

public static class WaitlistServiceCollectionExtensions
{
    /// <summary>The waitlist: options, its handlers, the matcher, and the service running it once per change across instances (claims in Redis when configured).</summary>
    public static IServiceCollection AddWaitlist(this IServiceCollection services, bool redisConfigured)
    {
        services.AddOptions<WaitlistOptions>().BindConfiguration(WaitlistOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<JoinWaitlistHandler>();
        services.AddScoped<LeaveWaitlistHandler>();
        services.AddScoped<WaitlistLine>();
        services.AddScoped<WaitlistMatcher>();
        if (redisConfigured)
        {
            services.AddSingleton<IInstanceClaims, RedisInstanceClaims>();
        }
        else
        {
            services.AddSingleton<IInstanceClaims, InMemoryInstanceClaims>();
        }

        services.AddSingleton<WaitlistService>();
        services.AddHostedService(provider => provider.GetRequiredService<WaitlistService>());
        return services;
    }
}
