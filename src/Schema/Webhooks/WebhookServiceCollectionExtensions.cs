using Microsoft.Extensions.DependencyInjection;

namespace Scheduling.Schema.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>Webhooks: options, the registry, the endpoints' view, the queue where the bus lives (Redis or memory), and the dispatcher.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, bool redisConfigured)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<WebhookRegistry>();
        services.AddSingleton<WebhookEndpoints>();
        if (redisConfigured)
        {
            services.AddSingleton<IWebhookStore, RedisWebhookStore>();
        }
        else
        {
            services.AddSingleton<IWebhookStore, InMemoryWebhookStore>();
        }

        WebhookHttp.Register(services);
        services.AddSingleton<WebhookHttp>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
