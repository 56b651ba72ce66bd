global using NUnit.Framework;
global using Ember;
global using Ember.Data;
