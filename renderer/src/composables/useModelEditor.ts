import { computed, ref } from 'vue';
import type { LayerSpec, LayerType, ModelSpec, PresetName } from '../../../shared/domain';
import { presetModel } from '../../../shared/models';
import { fromPyTorch, toPyTorch, type ParsedPyTorch } from '../../../shared/pytorch';
import { checkModel, insertLayer, moveLayer, removeLayer, updateLayer } from '../lib/modelEditor';

/** State of the layer-stack editor; the view only binds to it. */
export function useModelEditor(input: () => { shape: readonly number[]; numClasses: number }) {
  const spec = ref<ModelSpec>(presetModel('both'));
  const name = ref('both');
  /** 'preset:both' or 'saved:<id>' the editor started from. */
  const origin = ref<string>('preset:both');
  const dirty = ref(false);

  const check = computed(() => checkModel(spec.value, input().shape, input().numClasses));

  function set(next: ModelSpec, mark = true) {
    spec.value = next;
    if (mark) dirty.value = true;
  }

  function loadPreset(preset: PresetName) {
    spec.value = presetModel(preset, input().numClasses);
    name.value = preset;
    origin.value = `preset:${preset}`;
    dirty.value = false;
  }

  function load(model: ModelSpec, label: string, from: string) {
    spec.value = structuredClone(model);
    name.value = label;
    origin.value = from;
    dirty.value = false;
  }

  const pytorch = computed(() => toPyTorch(spec.value, input().shape));

  function paste(text: string): ParsedPyTorch {
    const parsed = fromPyTorch(text, { defaultInit: spec.value.init });
    set(parsed.model);
    if (parsed.model.preset) name.value = parsed.model.preset;
    return parsed;
  }

  return {
    spec,
    name,
    origin,
    dirty,
    check,
    pytorch,
    loadPreset,
    load,
    paste,
    add: (type: LayerType, at = spec.value.layers.length) => set(insertLayer(spec.value, at, type)),
    remove: (i: number) => set(removeLayer(spec.value, i)),
    move: (from: number, to: number) => set(moveLayer(spec.value, from, to)),
    update: (i: number, patch: Partial<LayerSpec>) => set(updateLayer(spec.value, i, patch)),
    setInit: (init: ModelSpec['init']) => set({ ...spec.value, preset: undefined, init }),
  };
}
