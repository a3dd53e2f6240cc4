// Where each diffusers-named weight lives in an original LDM / ControlNet checkpoint, as
// diffusers' convert_from_ckpt.py maps them (convert_ldm_unet_checkpoint,
// convert_ldm_vae_checkpoint, convert_ldm_clip_checkpoint, convert_controlnet_checkpoint),
// written as the reverse function: diffusers name → LDM key.

/** diffusers ResnetBlock2D part → LDM ResBlock part (UNet). */
const UNET_RESNET: Record<string, string> = {
  norm1: 'in_layers.0',
  conv1: 'in_layers.2',
  time_emb_proj: 'emb_layers.1',
  norm2: 'out_layers.0',
  conv2: 'out_layers.3',
  conv_shortcut: 'skip_connection',
};

/** The UNet layout a name maps through: ResNet blocks per down level, and which levels have attention. */
export interface UnetLayout {
  layersPerBlock: number;
  attention: boolean[];
}

function resnetPart(rest: string): string {
  const m = /^(\w+)\.(.+)$/.exec(rest);
  if (!m || !(m[1]! in UNET_RESNET)) return rest;
  return `${UNET_RESNET[m[1]!]}.${m[2]}`;
}

/** A UNet (or ControlNet encoder) weight's key under `model.diffusion_model.` / `control_model.`. */
export function ldmUnetKey(name: string, layout: UnetLayout): string {
  const L = layout.layersPerBlock;
  const levels = layout.attention.length;
  let m: RegExpExecArray | null;
  if ((m = /^time_embedding\.linear_([12])\.(.+)$/.exec(name))) return `time_embed.${m[1] === '1' ? 0 : 2}.${m[2]}`;
  if ((m = /^conv_in\.(.+)$/.exec(name))) return `input_blocks.0.0.${m[1]}`;
  if ((m = /^conv_norm_out\.(.+)$/.exec(name))) return `out.0.${m[1]}`;
  if ((m = /^conv_out\.(.+)$/.exec(name))) return `out.2.${m[1]}`;
  if ((m = /^down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)$/.exec(name))) {
    const block = 1 + Number(m[1]) * (L + 1) + Number(m[3]);
    return m[2] === 'resnets' ? `input_blocks.${block}.0.${resnetPart(m[4]!)}` : `input_blocks.${block}.1.${m[4]}`;
  }
  if ((m = /^down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)$/.exec(name))) return `input_blocks.${(Number(m[1]) + 1) * (L + 1)}.0.op.${m[2]}`;
  if ((m = /^mid_block\.resnets\.([01])\.(.+)$/.exec(name))) return `middle_block.${m[1] === '0' ? 0 : 2}.${resnetPart(m[2]!)}`;
  if ((m = /^mid_block\.attentions\.0\.(.+)$/.exec(name))) return `middle_block.1.${m[1]}`;
  if ((m = /^up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)$/.exec(name))) {
    const block = Number(m[1]) * (L + 1) + Number(m[3]);
    return m[2] === 'resnets' ? `output_blocks.${block}.0.${resnetPart(m[4]!)}` : `output_blocks.${block}.1.${m[4]}`;
  }
  if ((m = /^up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)$/.exec(name))) {
    // The upsampler follows the last ResNet of the block, after its transformer when it has one.
    const u = Number(m[1]);
    const withAttention = layout.attention[levels - 1 - u];
    return `output_blocks.${u * (L + 1) + L}.${withAttention ? 2 : 1}.conv.${m[2]}`;
  }
  return name;
}

/** A ControlNet weight's key, without the `control_model.` prefix some files drop. */
export function ldmControlNetKey(name: string, layout: UnetLayout): string {
  let m: RegExpExecArray | null;
  if ((m = /^controlnet_cond_embedding\.conv_in\.(.+)$/.exec(name))) return `input_hint_block.0.${m[1]}`;
  if ((m = /^controlnet_cond_embedding\.blocks\.(\d+)\.(.+)$/.exec(name))) return `input_hint_block.${2 * (Number(m[1]) + 1)}.${m[2]}`;
  if ((m = /^controlnet_cond_embedding\.conv_out\.(.+)$/.exec(name))) return `input_hint_block.${2 * (HINT_BLOCKS + 1)}.${m[1]}`;
  if ((m = /^controlnet_down_blocks\.(\d+)\.(.+)$/.exec(name))) return `zero_convs.${m[1]}.0.${m[2]}`;
  if ((m = /^controlnet_mid_block\.(.+)$/.exec(name))) return `middle_block_out.0.${m[1]}`;
  return ldmUnetKey(name, layout);
}
/** ControlNet v1's hint encoder has 6 inner convolutions between conv_in and conv_out. */
const HINT_BLOCKS = 6;

/** A VAE weight's key under `first_stage_model.`. `levels`: how many resolution levels the VAE has. */
export function ldmVaeKey(name: string, levels: number): string {
  const resnet = (rest: string) => rest.replace(/^conv_shortcut\./, 'nin_shortcut.');
  const attention = (rest: string) =>
    rest
      .replace(/^group_norm\./, 'norm.')
      .replace(/^to_q\./, 'q.')
      .replace(/^to_k\./, 'k.')
      .replace(/^to_v\./, 'v.')
      .replace(/^to_out\.0\./, 'proj_out.');
  const mid = (side: string, rest: string) => {
    let m: RegExpExecArray | null;
    if ((m = /^resnets\.([01])\.(.+)$/.exec(rest))) return `${side}.mid.block_${Number(m[1]) + 1}.${resnet(m[2]!)}`;
    if ((m = /^attentions\.0\.(.+)$/.exec(rest))) return `${side}.mid.attn_1.${attention(m[1]!)}`;
    return `${side}.mid_block.${rest}`;
  };
  let m: RegExpExecArray | null;
  if ((m = /^(encoder|decoder)\.conv_norm_out\.(.+)$/.exec(name))) return `${m[1]}.norm_out.${m[2]}`;
  if ((m = /^(encoder|decoder)\.mid_block\.(.+)$/.exec(name))) return mid(m[1]!, m[2]!);
  if ((m = /^encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) return `encoder.down.${m[1]}.block.${m[2]}.${resnet(m[3]!)}`;
  if ((m = /^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)$/.exec(name))) return `encoder.down.${m[1]}.downsample.conv.${m[2]}`;
  // The decoder's up_blocks run from the lowest resolution; LDM indexes its levels like the encoder's.
  if ((m = /^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) return `decoder.up.${levels - 1 - Number(m[1])}.block.${m[2]}.${resnet(m[3]!)}`;
  if ((m = /^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)$/.exec(name))) return `decoder.up.${levels - 1 - Number(m[1])}.upsample.conv.${m[2]}`;
  return name;
}

/** Older diffusers VAEs name the mid-block attention query/key/value/proj_attn (as from_pretrained still accepts). */
export function legacyDiffusersVaeKey(name: string): string {
  return name
    .replace(/attentions\.0\.to_q\./, 'attentions.0.query.')
    .replace(/attentions\.0\.to_k\./, 'attentions.0.key.')
    .replace(/attentions\.0\.to_v\./, 'attentions.0.value.')
    .replace(/attentions\.0\.to_out\.0\./, 'attentions.0.proj_attn.');
}
