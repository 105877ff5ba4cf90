"""Where schemas come from: sources resolved to values, the shadow database, the schema store, the replay cache, the proof."""
