namespace SidecarProxy.Configuration;

/// <summary>
/// A property of an options record that is not read from a configuration key of its own name (its binder
/// fills it another way), so the schema neither offers nor accepts it as a key.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class NotAConfigurationKeyAttribute : Attribute;
