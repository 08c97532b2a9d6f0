/* SPDX-License-Identifier: MIT */
/*
 * eglgbm.c - Mesa through a DRM render node: EGL on GBM, a GLES2 program
 * that draws a known picture, pixels read back and checked.  Run natively
 * in the driver VM and forwarded from the host; the renderer string must
 * name virgl both times (the driver VM's virtio_gpu, rendered by QEMU).
 *
 * Usage: vdri-eglgbm [frames]   (frames > 0: also time that many frames
 * and print the rate; the picture check always runs).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/vm/dri_node.h"
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <gbm.h>
#include <xf86drm.h>

#define W 64
#define H 64

static GLuint shader(GLenum type, const char *src)
{
	GLuint s = glCreateShader(type);
	GLint ok = 0;

	glShaderSource(s, 1, &src, NULL);
	glCompileShader(s);
	glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
	return ok ? s : 0;
}

/* Left half red, right half a triangle-free green: a clear plus a scissored clear
 * would not exercise shaders, so the right half is drawn with a program. */
static GLuint program(void)
{
	static const char *vs =
	    "attribute vec2 p; void main() { gl_Position = vec4(p, 0.0, 1.0); }";
	static const char *fs = "precision mediump float; uniform vec4 c;"
				"void main() { gl_FragColor = c; }";
	GLuint p = glCreateProgram(), v = shader(GL_VERTEX_SHADER, vs),
	       f = shader(GL_FRAGMENT_SHADER, fs);
	GLint ok = 0;

	if (!v || !f)
		return 0;
	glAttachShader(p, v);
	glAttachShader(p, f);
	glBindAttribLocation(p, 0, "p");
	glLinkProgram(p);
	glGetProgramiv(p, GL_LINK_STATUS, &ok);
	return ok ? p : 0;
}

static void draw(GLuint prog, float shade)
{
	static const GLfloat quad[] = {0, -1, 1, -1, 0, 1, 1, 1};

	glViewport(0, 0, W, H);
	glClearColor(1, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	glUseProgram(prog);
	glUniform4f(glGetUniformLocation(prog, "c"), 0, shade, 0, 1);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
	glEnableVertexAttribArray(0);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

static int check_pixels(void)
{
	unsigned char px[W * H * 4];
	int bad = 0;

	glReadPixels(0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, px);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			const unsigned char *p = px + 4 * (y * W + x);
			int green = x >= W / 2;

			if (p[0] != (green ? 0 : 255) || p[1] != (green ? 255 : 0) || p[2] != 0)
				bad++;
		}
	return bad;
}

int main(int argc, char **argv)
{
	int frames = argc > 1 ? atoi(argv[1]) : 0;
	int fd = dri_open_node("renderD", "virtio_gpu");
	struct gbm_device *gbm;
	EGLDisplay dpy;
	EGLConfig cfg;
	EGLint n = 0, major, minor;
	static const EGLint cfg_attr[] = {EGL_SURFACE_TYPE,
					  EGL_WINDOW_BIT,
					  EGL_RED_SIZE,
					  8,
					  EGL_GREEN_SIZE,
					  8,
					  EGL_BLUE_SIZE,
					  8,
					  EGL_RENDERABLE_TYPE,
					  EGL_OPENGL_ES2_BIT,
					  EGL_NONE};
	static const EGLint ctx_attr[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};

	setvbuf(stdout, NULL, _IOLBF, 0); /* progress is watched while it runs (kmod.sh) */
	if (fd < 0)
		return printf("FAIL no virtio_gpu render node\n"), 1;
	gbm = gbm_create_device(fd);
	dpy = gbm ? eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, gbm, NULL) : EGL_NO_DISPLAY;
	if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, &major, &minor))
		return printf("FAIL egl init: %#x\n", eglGetError()), 1;
	printf("egl %d.%d gbm backend %s\n", major, minor, gbm_device_get_backend_name(gbm));
	eglBindAPI(EGL_OPENGL_ES_API);
	if (!eglChooseConfig(dpy, cfg_attr, &cfg, 1, &n) || n < 1)
		return printf("FAIL no config\n"), 1;
	EGLint fmt;
	eglGetConfigAttrib(dpy, cfg, EGL_NATIVE_VISUAL_ID, &fmt);
	struct gbm_surface *gs = gbm_surface_create(gbm, W, H, (uint32_t)fmt, GBM_BO_USE_RENDERING);
	EGLSurface surf =
	    gs ? eglCreateWindowSurface(dpy, cfg, (EGLNativeWindowType)gs, NULL) : EGL_NO_SURFACE;
	EGLContext ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
	if (surf == EGL_NO_SURFACE || ctx == EGL_NO_CONTEXT ||
	    !eglMakeCurrent(dpy, surf, surf, ctx))
		return printf("FAIL surface/context: %#x\n", eglGetError()), 1;
	printf("gl renderer is virgl: %s\n", strstr((const char *)glGetString(GL_RENDERER), "virgl")
						 ? "yes"
						 : (const char *)glGetString(GL_RENDERER));
	GLuint prog = program();
	if (!prog)
		return printf("FAIL shaders\n"), 1;
	draw(prog, 1.0f);
	int bad = check_pixels();
	printf("picture: %s\n", bad ? "WRONG" : "ok");
	if (bad)
		printf("  %d of %d pixels wrong\n", bad, W * H);
	if (frames > 0) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < frames; i++) {
			draw(prog, (float)(i % 2));
			eglSwapBuffers(dpy, surf);
			struct gbm_bo *bo = gbm_surface_lock_front_buffer(gs);
			if (bo)
				gbm_surface_release_buffer(gs, bo);
		}
		glFinish();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		/* timing lines start with "~": shown, not compared */
		printf("~frames %d in %.3f s: %.1f fps, %.2f ms/frame\n", frames, s, frames / s,
		       1000.0 * s / frames);
	}
	eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroySurface(dpy, surf);
	eglDestroyContext(dpy, ctx);
	eglTerminate(dpy);
	gbm_surface_destroy(gs);
	gbm_device_destroy(gbm);
	close(fd);
	return bad ? 1 : 0;
}
