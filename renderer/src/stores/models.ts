import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { ModelSpec, type PresetName } from '../../../shared/domain';
import { PRESET_NAMES, presetModel } from '../../../shared/models';

export interface SavedModel {
  id: string;
  name: string;
  spec: ModelSpec;
  updatedAt: string;
}

const KEY = 'sweeplab.models.v1';

function readSaved(): SavedModel[] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]') as SavedModel[];
    return raw.filter((m) => ModelSpec.safeParse(m.spec).success);
  } catch {
    return [];
  }
}

/**
 * The models a user can pick: the six presets and the ones they built and saved in the editor.
 * Saved models live in this window's local storage (a model is a small JSON spec; every run keeps
 * its own copy, so nothing is lost if this list is cleared).
 */
export const useModelsStore = defineStore('models', () => {
  const saved = ref<SavedModel[]>(readSaved());
  watch(saved, (list) => localStorage.setItem(KEY, JSON.stringify(list)), { deep: true });

  function save(name: string, spec: ModelSpec, id?: string): SavedModel {
    const model: SavedModel = { id: id ?? `m${Date.now().toString(36)}`, name: name.trim() || 'My model', spec, updatedAt: new Date().toISOString() };
    saved.value = [model, ...saved.value.filter((m) => m.id !== model.id)];
    return model;
  }

  function remove(id: string): void {
    saved.value = saved.value.filter((m) => m.id !== id);
  }

  /** A model choice as the forms store it: 'preset:both' or 'saved:<id>'. */
  function resolve(choice: string, numClasses: number): ModelSpec | null {
    if (choice.startsWith('preset:')) {
      const name = choice.slice(7) as PresetName;
      return PRESET_NAMES.includes(name) ? presetModel(name, numClasses) : null;
    }
    if (choice.startsWith('saved:')) return saved.value.find((m) => `saved:${m.id}` === choice)?.spec ?? null;
    return null;
  }

  return { saved, save, remove, resolve };
});
